// The release's latest.json (updater-manifest.mjs): each installed format is offered its own kind
// of package, so a .deb install never downloads an AppImage. Run with `node --test scripts/`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { manifest } from './updater-manifest.mjs';

/** A release folder: each package with its signature (null: not signed). */
function release(packages) {
  const files = {};
  for (const [name, sig] of Object.entries(packages)) {
    files[name] = null;
    if (sig !== null) files[`${name}.sig`] = `${sig}\n`;
  }
  return files;
}

describe('updater manifest', () => {
  test('every signed package under its installer key; the generic key to the self-replacing format', () => {
    const files = release({
      'Amo.Connect_0.2.0_amd64.deb': 'S-deb',
      'Amo.Connect-0.2.0-1.x86_64.rpm': 'S-rpm',
      'Amo.Connect_0.2.0_amd64.AppImage': 'S-appimage',
      'Amo.Connect_0.2.0_x64-setup.exe': 'S-nsis',
      'Amo.Connect_0.2.0_x64_en-US.msi': 'S-msi',
      'Amo.Connect_aarch64.app.tar.gz': 'S-mac-arm',
      'Amo.Connect_x64.app.tar.gz': 'S-mac-intel',
      'Amo.Connect_0.2.0_aarch64.dmg': null,
    });
    const m = manifest(files, '0.2.0', 'https://github.com/o/r/releases/download/v0.2.0/', '- New', new Date('2026-11-20T10:00:00.123Z'));
    assert.equal(m.pub_date, '2026-11-20T10:00:00Z');
    const p = m.platforms;
    assert.deepEqual(
      Object.keys(p).sort(),
      [
        'darwin-aarch64', 'darwin-aarch64-app', 'darwin-x86_64', 'darwin-x86_64-app',
        'linux-x86_64', 'linux-x86_64-appimage', 'linux-x86_64-deb', 'linux-x86_64-rpm',
        'windows-x86_64', 'windows-x86_64-msi', 'windows-x86_64-nsis',
      ].sort(),
    );
    assert.deepEqual(p['linux-x86_64-deb'], {
      signature: 'S-deb',
      url: 'https://github.com/o/r/releases/download/v0.2.0/Amo.Connect_0.2.0_amd64.deb',
    });
    assert.equal(p['linux-x86_64'].signature, 'S-appimage');
    assert.equal(p['windows-x86_64'].signature, 'S-nsis');
    assert.equal(p['darwin-x86_64'].signature, 'S-mac-intel');
  });

  test('names with spaces are URL-encoded', () => {
    const m = manifest(release({ 'Amo Connect_0.2.0_amd64.deb': 'S' }), '0.2.0', 'http://127.0.0.1:9/p', '');
    assert.equal(m.platforms['linux-x86_64-deb'].url, 'http://127.0.0.1:9/p/Amo%20Connect_0.2.0_amd64.deb');
  });

  test('refuses what could not update anyone: a stray signature, nothing signed, a bad version', () => {
    assert.doesNotThrow(() => manifest(release({ 'a_amd64.deb': 'S', 'gone_amd64.deb': null }), '0.2.0', 'x', ''));
    assert.throws(() => manifest({ 'gone_amd64.deb.sig': 'S' }, '0.2.0', 'x', ''), /signature without its package: gone_amd64\.deb\.sig/);
    assert.throws(() => manifest(release({ 'a_amd64.deb': null }), '0.2.0', 'x', ''), /no signed package in the release/);
    assert.throws(() => manifest(release({ 'a_amd64.deb': 'S' }), 'latest', 'x', ''), /not a semver version: latest/);
  });
});
