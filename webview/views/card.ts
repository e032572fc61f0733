/** A titled dashboard section with a note line; every chart view lives in one. */
import { h } from '../dom';

export interface Card {
  root: HTMLElement;
  body: HTMLElement;
  note: HTMLElement;
  tools: HTMLElement;
}

export function card(id: string, title: string, description: string): Card {
  const tools = h('div', { class: 'card-tools' });
  const body = h('div', { class: 'card-body' });
  const note = h('p', { class: 'note', id: `${id}-note`, role: 'status', hidden: true });
  const root = h(
    'section',
    { class: 'card', id, 'aria-labelledby': `${id}-title` },
    h('div', { class: 'card-head' }, h('h2', { id: `${id}-title`, text: title }), tools),
    h('p', { class: 'card-description', text: description }),
    body,
    note,
  );
  return { root, body, note, tools };
}

export function setNote(note: HTMLElement, text: string | undefined): void {
  note.textContent = text ?? '';
  note.hidden = !text;
}

/** A fixed-height box Chart.js can size itself into (responsive charts need a sized, positioned parent). */
export function chartBox(canvasId: string, label: string, size: 'normal' | 'tall' = 'normal'): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { id: canvasId, role: 'img', 'aria-label': label });
  const box = h('div', { class: `chart-box ${size}` }, canvas);
  return { box, canvas };
}
