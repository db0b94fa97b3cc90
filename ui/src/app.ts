import { mount } from 'svelte';
import App from './App.svelte';

/** Replaces index.html's static shell with the app. */
export function start(target: HTMLElement): void {
  target.replaceChildren();
  mount(App, { target });
}
