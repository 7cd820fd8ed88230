/**
 * The judge panel: test cases (stdin, expected output) for the program in the editor, one `POST /api/execute` for
 * all of them, and a verdict table with each test's status, wall and CPU time, memory, and its streams on demand.
 * Loaded the first time the panel is opened (main.ts imports it dynamically), so a first visit does not pay for it.
 */
import { ApiRefusal, type Api, type ExecuteRequest, type ExecuteResult, type TestVerdict } from './api';

export interface JudgePanelOptions {
  api: Api;
  /** The editor's language and code at the moment Judge is pressed. */
  program(): { language: string; code: string };
}

export interface JudgePanel {
  /** Judges the program against the tests (what the Judge button does); ignored while a judgement is under way. */
  judge(): Promise<void>;
  focus(): void;
}

/** What the API may be asked at most (README, *Blocking execution*: 1 to 50 tests). */
const MAX_TESTS = 50;

const LABELS: Record<string, string> = {
  accepted: 'accepted',
  wrong_answer: 'wrong answer',
  ok: 'ok',
  compile_error: 'compile error',
  runtime_error: 'runtime error',
  timeout: 'time limit',
  memory_limit: 'memory limit',
  output_limit: 'output limit',
  disk_limit: 'disk limit',
  internal_error: 'internal error',
};
const label = (status: string) => LABELS[status] ?? status.replace(/_/g, ' ');

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

const mib = (kb: number) => (kb / 1024).toFixed(1);

export function mountJudgePanel(parent: HTMLElement, options: JudgePanelOptions): JudgePanel {
  const list = el('ol', { className: 'judge-tests' });
  const addButton = el('button', { type: 'button', className: 'small', id: 'judgeAdd', title: 'Add a test' }, '+ Test');
  const judgeButton = el('button', { type: 'button', className: 'primary', id: 'judgeRun', title: 'Judge the program against these tests' }, 'Judge');
  const summary = el('div', { className: 'judge-summary', id: 'judgeSummary', role: 'status' });
  summary.setAttribute('aria-live', 'polite');
  const compile = el('pre', { className: 'judge-compile', id: 'judgeCompile', hidden: true });
  const table = el('table', { className: 'judge-table', id: 'judgeTable' });
  // The table scrolls sideways inside its own box, never the page (a long status or big figures at 360 px).
  const tableBox = el('div', { className: 'judge-table-box', hidden: true }, table);
  const body = el('div', { className: 'judge-body' }, list, summary, compile, tableBox);
  parent.replaceChildren(
    el('div', { className: 'judge-head' }, el('strong', {}, 'Tests'), el('span', { className: 'spacer' }), addButton, judgeButton),
    body,
  );

  function renumber(): void {
    const items = Array.from(list.querySelectorAll<HTMLLIElement>(":scope > li"));
    items.forEach((item, i) => {
      item.querySelector('.judge-test-title')!.textContent = `Test ${i + 1}`;
      item.querySelectorAll('textarea').forEach((t) => t.setAttribute('aria-label', `${t.dataset.field === 'stdin' ? 'Input' : 'Expected output'} of test ${i + 1}`));
      // The last test stays: a judgement needs one.
      item.querySelector<HTMLButtonElement>('.judge-remove')!.disabled = items.length === 1;
    });
    addButton.disabled = items.length >= MAX_TESTS;
  }

  function addTest(stdin = '', expected = ''): HTMLTextAreaElement {
    const field = (name: 'stdin' | 'expected', text: string, value: string) => {
      const area = el('textarea', { value, rows: 2, spellcheck: false, autocapitalize: 'off', dataset: { field: name } });
      area.setAttribute('autocorrect', 'off');
      return el('label', { className: 'judge-field' }, el('span', {}, text), area);
    };
    const remove = el('button', { type: 'button', className: 'small judge-remove', title: 'Remove this test' }, '✕');
    const item = el(
      'li',
      { className: 'judge-test' },
      el('div', { className: 'judge-test-head' }, el('span', { className: 'judge-test-title' }), remove),
      field('stdin', 'stdin', stdin),
      field('expected', 'expected output (empty: none)', expected),
    );
    remove.addEventListener('click', () => {
      item.remove();
      renumber();
    });
    list.append(item);
    renumber();
    return item.querySelector('textarea')!;
  }

  function tests(): { stdin: string; expectedOutput?: string }[] {
    return Array.from(list.querySelectorAll<HTMLLIElement>(":scope > li")).map((item) => {
      const stdin = item.querySelector<HTMLTextAreaElement>('[data-field="stdin"]')!.value;
      const expected = item.querySelector<HTMLTextAreaElement>('[data-field="expected"]')!.value;
      // An empty field means "no expectation" (the answer is then ok, not accepted): the API compares only what is given.
      return expected === '' ? { stdin } : { stdin, expectedOutput: expected };
    });
  }

  function setSummary(text: string, status: string): void {
    summary.textContent = text;
    summary.dataset.status = status;
  }

  function streams(t: TestVerdict): HTMLElement {
    const parts: HTMLElement[] = [];
    const stream = (name: string, text: string) => parts.push(el('div', { className: 'judge-stream' }, el('span', {}, name), el('pre', { dataset: { stream: name } }, text === '' ? '(empty)' : text)));
    stream('stdout', t.stdout);
    if (t.stderr !== '') stream('stderr', t.stderr);
    if (t.message) parts.unshift(el('p', { className: 'judge-message' }, t.message));
    if (t.outputTruncated) parts.push(el('p', { className: 'judge-message' }, 'output cut: the answer’s size cap was reached'));
    return el('details', {}, el('summary', {}, t.stderr !== '' ? 'stdout · stderr' : 'stdout'), ...parts);
  }

  function showResult(result: ExecuteResult, asked: number): void {
    const rows = result.tests ?? [result];
    const passed = rows.filter((t) => t.status === 'accepted' || t.status === 'ok').length;
    const overall = `${label(result.status)}${asked > 1 ? ` · ${passed}/${rows.length} passed` : ''}`;
    setSummary(result.message && asked === 1 ? `${overall} · ${result.message}` : overall, result.status);
    compile.hidden = !(result.status === 'compile_error' && result.compileOutput);
    compile.textContent = compile.hidden ? '' : result.compileOutput!;

    const head = el('thead', {}, el('tr', {}, ...['#', 'verdict', 'wall ms', 'CPU ms', 'MiB'].map((h) => el('th', { scope: 'col' }, h))));
    const bodies = rows.map((t, i) => {
      const notRun = t.wallMs === 0 && t.exitCode === null && t.signal === null;
      const figure = (value: string) => el('td', { className: 'num' }, notRun ? '–' : value);
      const row = el(
        'tr',
        { className: 'judge-row', dataset: { status: t.status } },
        el('td', { className: 'num' }, String(i + 1)),
        el('td', {}, el('span', { className: 'verdict', dataset: { status: t.status } }, label(t.status))),
        figure(String(t.wallMs)),
        figure(String(t.cpuMs)),
        figure(mib(t.memoryKb)),
      );
      const detail = el('tr', { className: 'judge-detail' }, el('td', { colSpan: 5 }, streams(t)));
      return el('tbody', {}, row, detail);
    });
    table.replaceChildren(head, ...bodies);
    tableBox.hidden = false;
    // The verdict is what was asked for: bring it into view below the tests. The panel's body is scrolled itself
    // (scrollIntoView would also scroll the page's overflow-hidden boxes, shifting the whole layout).
    body.scrollTop = summary.offsetTop - body.offsetTop - 4;
  }

  let busy = false;
  async function judge(): Promise<void> {
    if (busy) return;
    const { language, code } = options.program();
    const all = tests();
    // One test: the single form, as a person would write the request; several: `tests`.
    const body: ExecuteRequest = all.length === 1 ? { language, code, ...all[0] } : { language, code, tests: all };
    busy = true;
    judgeButton.disabled = true;
    judgeButton.textContent = 'Judging…';
    setSummary('judging…', 'judging');
    try {
      showResult(await options.api.execute(body), all.length);
    } catch (err) {
      // As elsewhere on the page: a refusal is the API's own message (naming the field); anything else the network.
      const message = err instanceof ApiRefusal ? err.message : `could not judge: ${err instanceof Error ? err.message : String(err)}; check the connection and press Judge again`;
      setSummary(message, 'error');
      compile.hidden = true;
      tableBox.hidden = true;
    } finally {
      busy = false;
      judgeButton.disabled = false;
      judgeButton.textContent = 'Judge';
    }
  }

  addButton.addEventListener('click', () => addTest().focus());
  judgeButton.addEventListener('click', () => void judge());
  addTest();
  return { judge, focus: () => list.querySelector('textarea')?.focus() };
}
