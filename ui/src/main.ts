// The entry the page loads: only the stylesheet and this bootstrap. index.html already shows a
// static shell (the header); the app itself — Svelte and every view — is a separate chunk,
// fetched once that shell is on the screen. WebKit holds a page's first paint until the scripts
// loaded while it is parsed have run, so a large entry script would keep the window blank
// (docs/tauri-platform.md §10).
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');
const root: HTMLElement = target;

function start(): void {
  void import('./app').then(({ start }) => start(root));
}

// After the load event and one frame, the shell has been painted. A hidden page (started to
// the tray) gets no animation frames, so it starts at once.
function afterFirstPaint(): void {
  if (document.visibilityState === 'visible') requestAnimationFrame(() => setTimeout(start, 0));
  else start();
}
if (document.readyState === 'complete') afterFirstPaint();
else addEventListener('load', afterFirstPaint, { once: true });
