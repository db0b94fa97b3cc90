// Types for updater-manifest.mjs (used by its tests in ui/).
export type PlatformEntry = { signature: string; url: string };
/** File name → null, or a .sig file's contents. */
export type ReleaseFiles = Record<string, string | null>;
export function platforms(files: ReleaseFiles, baseUrl: string): Record<string, PlatformEntry>;
export function manifest(
  files: ReleaseFiles,
  version: string,
  baseUrl: string,
  notes: string,
  pubDate?: Date,
): { version: string; notes: string; pub_date: string; platforms: Record<string, PlatformEntry> };
