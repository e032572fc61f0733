// Driving the VS Code 1.100 workbench in code-server: command palette, quick picks, views and trees, context
// menus, editors, notifications and webview frames. Selectors as verified in /work/shared/E2E.md.

import type { FrameLocator, Locator, Page } from 'playwright-core';
import { delay, poll } from './poll';
import { describeWorkbench } from './session';

const quickInput = '.quick-input-widget';
const quickInputBox = `${quickInput} input.input`;
const quickInputRow = `${quickInput} .quick-input-list .monaco-list-row`;

async function quickInputVisible(page: Page): Promise<boolean> {
  return page.locator(quickInput).isVisible();
}

/** Opens the command palette with `>` typed, retrying the key if focus sat somewhere that swallowed it. */
async function openPalette(page: Page): Promise<void> {
  await poll(
    'the command palette to open',
    async () => {
      if (!(await quickInputVisible(page))) {
        await page.keyboard.press('F1');
        await delay(300);
      }
      return quickInputVisible(page);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

/** The visible rows of the open quick input, as their accessible labels. */
export async function quickInputRows(page: Page): Promise<string[]> {
  return page
    .locator(quickInputRow)
    .evaluateAll((rows) => rows.map((row) => (row.getAttribute('aria-label') || (row as HTMLElement).innerText || '').trim()));
}

async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInputVisible(page)) await page.keyboard.press('Escape');
  await poll('the quick input to close', async () => !(await quickInputVisible(page)), { timeoutMs: 5_000 });
}

/** Whether the palette offers a command with exactly this title (e.g. "ELSA: Train"). */
export async function paletteHasCommand(page: Page, title: string): Promise<boolean> {
  await openPalette(page);
  await page.locator(quickInputBox).fill(`>${title}`);
  // The list filters as one types; give it a moment to settle before reading it.
  await delay(500);
  const rows = await quickInputRows(page);
  await closeQuickInput(page);
  return rows.some((row) => labelMatchesCommand(row, title));
}

function labelMatchesCommand(rowLabel: string, title: string): boolean {
  // Row labels may carry a keybinding or "recently used" after the title.
  return rowLabel === title || rowLabel.startsWith(`${title},`) || rowLabel.startsWith(`${title} `);
}

/**
 * Runs a command by its palette title. The row is clicked by its exact accessible label, re-resolved at click
 * time, so a list that re-renders between reading and clicking (it filters as one types; "recently used" moves
 * rows) can never make the click land on a neighbour such as "ELSA: New Training Run" for "ELSA: Train".
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  await openPalette(page);
  await page.locator(quickInputBox).fill(`>${title}`);
  let rows: string[] = [];
  let clicked = false;
  let typedAt = Date.now();
  await poll(
    `the palette to list "${title}" and take the click`,
    async () => {
      // A click can take effect and still be reported as failed (the row detaches as the palette closes):
      // once one was made, a palette that is gone or no longer holds our text means the command ran.
      if (clicked) {
        if (!(await quickInputVisible(page))) return true;
        const value = await page.locator(quickInputBox).inputValue().catch(() => '');
        if (value !== `>${title}`) return true;
      }
      rows = await quickInputRows(page);
      const label = rows.find((row) => labelMatchesCommand(row, title));
      if (label === undefined) {
        // The palette filters once per keystroke: a command registered after that (a workbench contribution
        // still starting) shows only when the filter changes. Type it again now and then.
        if (Date.now() - typedAt > 3_000) {
          await page.locator(quickInputBox).fill('>');
          await page.locator(quickInputBox).fill(`>${title}`);
          typedAt = Date.now();
        }
        return false;
      }
      const row = page.locator(`${quickInputRow}[aria-label=${JSON.stringify(label)}]`);
      clicked = true;
      return row.click({ timeout: 2_000 }).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 30_000 },
  ).catch(async (error: Error) => {
    await closeQuickInput(page).catch(() => undefined);
    throw new Error(`${error.message}; the palette listed: ${rows.join(' / ') || 'nothing'}`);
  });
  await poll(`"${title}" to take the palette away`, async () => {
    // The command may open a quick pick of its own: then the palette's text is gone from the box.
    if (!(await quickInputVisible(page))) return true;
    const value = await page.locator(quickInputBox).inputValue().catch(() => '');
    return !value.startsWith('>');
  }, { timeoutMs: 10_000 });
}

/**
 * Runs a command that answers with a quick input titled `pickerTitle` and waits for it. A quick input closes
 * when focus leaves it (VS Code's rule for pickers without ignoreFocusOut): a webview that finishes loading and
 * takes focus just then dismisses the picker, and the command resolves as if the user had pressed Escape. When
 * no quick input shows within `retryAfterMs` and the workbench shows nothing else, the command is run once
 * more — a second run is harmless (the first picker is gone) — and the wait goes on with a full diagnostic.
 */
export async function runCommandForPicker(page: Page, title: string, pickerTitle: string, retryAfterMs = 6_000): Promise<void> {
  await runCommand(page, title);
  const shown = await waitForQuickInputTitle(page, pickerTitle, retryAfterMs).then(
    () => true,
    () => false,
  );
  if (shown) return;
  if (await quickInputVisible(page)) throw new Error(`"${title}" opened a quick input, but not "${pickerTitle}": ${await screenLine(page)}`);
  console.log(`[e2e] "${title}": no "${pickerTitle}" after ${retryAfterMs} ms (${await screenLine(page)}); running it again`);
  await runCommand(page, title);
  await waitForQuickInputTitle(page, pickerTitle, 15_000);
}

/** The screen dump of the session harness on one line, for messages. */
async function screenLine(page: Page): Promise<string> {
  return (await describeWorkbench(page)).split('\n').join(' · ');
}

export interface QuickInputExpectation {
  /** Text the quick input's title must contain, so a stale or unexpected picker is never answered. */
  title?: string;
  timeoutMs?: number;
}

/** The title of the open quick input ('' when it has none). */
export async function quickInputTitle(page: Page): Promise<string> {
  return page.locator(`${quickInput} .quick-input-title`).innerText().catch(() => '');
}

async function waitForQuickInputTitle(page: Page, title: string | undefined, timeoutMs: number): Promise<void> {
  await poll(
    title ? `a quick input titled "${title}"` : 'a quick input',
    async () => (await quickInputVisible(page)) && (!title || (await quickInputTitle(page)).includes(title)),
    { timeoutMs },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}; ${await screenLine(page)}`);
  });
}

/** Waits for a quick pick (opened by a command) and picks the row whose label contains `label`. */
export async function pickQuickItem(page: Page, label: string | RegExp, options: QuickInputExpectation = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  await waitForQuickInputTitle(page, options.title, timeoutMs);
  const matches = (text: string): boolean => (typeof label === 'string' ? text.includes(label) : label.test(text));
  let rows: string[] = [];
  const row = await poll(
    `a quick pick row matching ${String(label)}`,
    async () => {
      if (!(await quickInputVisible(page))) return undefined;
      rows = await quickInputRows(page);
      const found = rows.findIndex(matches);
      return found >= 0 ? page.locator(quickInputRow).nth(found) : undefined;
    },
    { timeoutMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; rows: ${rows.join(' / ') || 'none'}`);
  });
  await row.click();
}

/** Types into an open input box (e.g. a showInputBox or the simple file dialog's path) and accepts it. */
export async function answerInputBox(page: Page, text: string, options: QuickInputExpectation = {}): Promise<void> {
  await waitForQuickInputTitle(page, options.title, options.timeoutMs ?? 15_000);
  await page.locator(quickInputBox).fill(text);
  await delay(200);
  await page.keyboard.press('Enter');
}

/** Shows a view container from the activity bar by its title (e.g. "ELSA"). */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = page.locator(`.activitybar a.action-label[aria-label="${title}"], .activitybar a.action-label[aria-label^="${title} ("]`);
  await poll(`activity bar item "${title}"`, () => item.first().isVisible(), { timeoutMs: 30_000 });
  const container = page.locator(`.part.sidebar .composite.title h2[title^="${title}"], .part.sidebar .title-label h2`);
  const alreadyOpen = await container
    .first()
    .innerText()
    .then((text) => text.trim().toUpperCase().startsWith(title.toUpperCase()))
    .catch(() => false);
  if (!alreadyOpen) await item.first().click();
}

/** A tree view by its view name. */
export function tree(page: Page, viewName: string): Locator {
  return page.getByRole('tree', { name: viewName });
}

/** Tree items whose accessible name contains `label` (tree labels carry a trailing space, so substring match). */
export function treeItems(page: Page, viewName: string, label: string | RegExp): Locator {
  return tree(page, viewName).getByRole('treeitem', { name: label });
}

/** The accessible names of all rendered rows of a tree. */
export async function treeLabels(page: Page, viewName: string): Promise<string[]> {
  return tree(page, viewName)
    .getByRole('treeitem')
    .evaluateAll((rows) => rows.map((row) => (row.getAttribute('aria-label') || (row as HTMLElement).innerText || '').trim()));
}

export async function waitForTreeItem(page: Page, viewName: string, label: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
  return poll(
    `tree "${viewName}" to show an item matching ${String(label)}`,
    async () => {
      const item = treeItems(page, viewName, label).first();
      return (await item.isVisible()) ? item : undefined;
    },
    { timeoutMs },
  ).catch(async (error: Error) => {
    const labels = await treeLabels(page, viewName).catch(() => []);
    throw new Error(`${error.message}; the tree showed: ${labels.join(' / ') || 'nothing'}`);
  });
}

/**
 * Waits until a tree's rows stop changing for `quietMs`. A context-menu command carries the row's element only while
 * the tree still holds it: a refresh between the right-click and the command hands the command nothing.
 */
export async function waitForTreeStable(page: Page, viewName: string, quietMs = 1_500, timeoutMs = 30_000): Promise<void> {
  let last = '';
  let since = Date.now();
  await poll(`tree "${viewName}" to settle`, async () => {
    const now = JSON.stringify(await treeLabels(page, viewName));
    if (now !== last || now.includes('reading…')) {
      last = now;
      since = Date.now();
    }
    return Date.now() - since >= quietMs;
  }, { timeoutMs, intervalMs: 200 });
}

/** Expands a collapsed tree item (no-op when already expanded) by its twistie: a click on the label runs the item's command. */
export async function expandTreeItem(item: Locator): Promise<void> {
  if ((await item.getAttribute('aria-expanded')) === 'false') {
    await item.locator('.monaco-tl-twistie').click();
    await poll('the tree item to expand', async () => (await item.getAttribute('aria-expanded')) === 'true', { timeoutMs: 10_000 });
  }
}

/** Right-clicks an element and runs the context-menu entry with this label. */
export async function runContextMenu(page: Page, target: Locator, entry: string): Promise<void> {
  await target.click({ button: 'right' });
  const menuItem = page.locator('.context-view .monaco-menu .action-item a.action-menu-item', { hasText: entry });
  await poll(`context menu entry "${entry}"`, () => menuItem.first().isVisible(), { timeoutMs: 10_000 }).catch(async (error: Error) => {
    const entries = await page.locator('.context-view .monaco-menu .action-label').allInnerTexts().catch(() => []);
    await page.keyboard.press('Escape');
    throw new Error(`${error.message}; the menu offered: ${entries.join(' / ') || 'nothing'}`);
  });
  // A click right after the menu opens can land before VS Code arms its mouse-up handler: hover, which focuses the
  // entry, then accept it with Enter.
  await menuItem.first().hover();
  await poll(`context menu entry "${entry}" to take focus`, async () => {
    const focused = await page.locator('.context-view .monaco-menu .action-item.focused').first().innerText().catch(() => '');
    return focused.includes(entry);
  }, { timeoutMs: 5_000 });
  await page.keyboard.press('Enter');
  await poll('the context menu to close', async () => !(await page.locator('.context-view .monaco-menu').first().isVisible()), { timeoutMs: 5_000 });
}

/** Opens a workspace file by its path relative to the workspace, through Quick Open. */
export async function openFileByQuickOpen(page: Page, relativePath: string): Promise<void> {
  await openPalette(page);
  // Deleting the `>` turns the palette into Quick Open (files).
  await page.locator(quickInputBox).fill(relativePath);
  const fileName = relativePath.split('/').pop() ?? relativePath;
  await pickQuickItem(page, fileName, { timeoutMs: 20_000 });
}

/** The titles of the open editor tabs. */
export async function editorTabs(page: Page): Promise<string[]> {
  return page.locator('.tabs-container .tab').evaluateAll((tabs) => tabs.map((tab) => (tab.getAttribute('aria-label') || '').trim()));
}

export async function waitForEditorTab(page: Page, title: string | RegExp, timeoutMs = 20_000): Promise<void> {
  const matches = (text: string): boolean => (typeof title === 'string' ? text.includes(title) : title.test(text));
  await poll(`an editor tab ${String(title)}`, async () => (await editorTabs(page)).some(matches), { timeoutMs }).catch(
    async (error: Error) => {
      throw new Error(`${error.message}; open tabs: ${(await editorTabs(page)).join(' / ') || 'none'}`);
    },
  );
}

/** Texts of the notification toasts now on screen. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page
    .locator('.notifications-toasts .notification-toast')
    .evaluateAll((toasts) => toasts.map((toast) => (toast as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
}

export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 20_000): Promise<string> {
  const matches = (value: string): boolean => (typeof text === 'string' ? value.includes(text) : text.test(value));
  return poll(`a notification matching ${String(text)}`, async () => (await notificationTexts(page)).find(matches), { timeoutMs }).catch(
    async (error: Error) => {
      throw new Error(`${error.message}; notifications: ${(await notificationTexts(page)).join(' | ') || 'none'}`);
    },
  );
}

export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
}

/**
 * The content of the visible webview: webview content sits in an iframe (`#active-frame`) inside the workbench's
 * `iframe.webview`; only the webview of the active editor in a group is visible.
 */
export function visibleWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready >> visible=true').first().frameLocator('#active-frame');
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, delay(ms).then(() => undefined)]);
}

/** Polls a number read from the page (e.g. a data attribute) until `accept` says yes. */
export async function waitForNumber(
  what: string,
  read: () => Promise<number>,
  accept: (value: number) => boolean,
  timeoutMs = 30_000,
): Promise<number> {
  return poll(what, async () => {
    const value = await read();
    return accept(value) ? value : undefined;
  }, { timeoutMs });
}

/**
 * Answers code-server's startup trust prompt with "No, I don't trust the authors" and waits for Restricted Mode.
 * Only shows when the server runs without --disable-workspace-trust.
 */
export async function keepWorkspaceRestricted(page: Page): Promise<void> {
  const dontTrust = page.locator('.monaco-dialog-box .monaco-button', { hasText: "No, I don't trust the authors" });
  await poll('the workspace trust prompt', () => dontTrust.first().isVisible(), { timeoutMs: 30_000 });
  await dontTrust.first().click();
  await poll('the trust prompt to close', async () => !(await page.locator('.monaco-dialog-box').isVisible()), { timeoutMs: 10_000 });
  await poll('"Restricted Mode" in the status bar', async () => (await statusBarText(page)).includes('Restricted Mode'), { timeoutMs: 10_000 });
}

/** The status bar's text, items separated by " | ". */
export async function statusBarText(page: Page): Promise<string> {
  return page
    .locator('.part.statusbar .statusbar-item')
    .evaluateAll((items) => items.map((item) => (item as HTMLElement).innerText.trim()).filter(Boolean).join(' | '))
    .catch(() => '');
}

/** The text of the terminals shown in the panel (tasks run there), readable thanks to the DOM renderer. */
export async function terminalText(page: Page): Promise<string> {
  return page
    .locator('.part.panel .xterm-rows')
    .evaluateAll((rows) => rows.filter((row) => (row as HTMLElement).offsetParent !== null).map((row) => (row as HTMLElement).innerText.replace(/\u00a0/g, ' ')).join('\n'))
    .catch(() => '');
}

/**
 * Waits for a task's result: `done` says yes, or the task terminal reports a non-zero exit, which fails at once with
 * what the terminal showed instead of waiting out the timeout.
 */
export async function waitForTaskResult(page: Page, what: string, done: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  await poll(what, async () => {
    if (await done()) return true;
    const text = await terminalText(page);
    // Terminal rows wrap long lines: search the text with the row breaks taken out.
    // xterm's DOM renderer writes spaces as U+00A0, which \s matches.
    // VS Code ends a task's output with "terminated with exit code: N" or "failed to launch (exit code: N)".
    const failure = /exit\s+code:\s*[1-9]/.exec(text.replace(/\n/g, ''));
    if (failure) throw new TaskFailedError(`${what}: the task failed; its terminal shows:\n${text.trim().split('\n').slice(-12).join('\n')}`);
    return false;
  }, { timeoutMs });
}

export class TaskFailedError extends Error {
  override name = 'TaskFailedError';
}
