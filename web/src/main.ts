/**
 * pocketrun's page: write a program, run it, talk to it through its terminal, from a phone first.
 * This module wires the parts together: the editor (editor.ts), the terminal (terminal.ts), a run (run.ts), the
 * API (api.ts), the key row (keys.ts), examples, share links and the phone's viewport.
 */
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { Api, ApiRefusal, messageOf, type RunResult, type Runtime } from './api';
import { CodeEditor } from './editor';
import { examplesFor, SEED_EXAMPLES } from './examples';
import { mountKeyRow, type KeyAction } from './keys';
import type { JudgePanel } from './judge';
import { FALLBACK_RUNTIMES, languageList, languageSupport, type LanguageInfo } from './languages';
import { isQueuedInput, RunSession, type ConnectionProblem, type QueuedInput, type RunEvents } from './run';
import { createRun, newStart, readPendingStart, START_WITHIN_MS, type PendingStart } from './startRun';
import { decodeShare, encodeShare } from './share';
import { ProgramTerminal } from './terminal';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

/** Web storage, which private modes and full disks may refuse: the page works without it. */
const storage = (area: () => Storage) => ({
  get: (key: string): string | null => {
    try {
      return area().getItem(key);
    } catch {
      return null;
    }
  },
  set: (key: string, value: string | null): void => {
    try {
      if (value === null) area().removeItem(key);
      else area().setItem(key, value);
    } catch {
      // Not kept: only the convenience is lost.
    }
  },
});
/** What outlives the tab: token, settings, code. */
const store = storage(() => localStorage);
/** What belongs to this tab and outlives a reload or a discarded tab: the run being shown. */
const tabStore = storage(() => sessionStorage);
const KEY = { run: 'pocketrun.run', starting: 'pocketrun.starting', input: 'pocketrun.input', token: 'pocketrun.token', language: 'pocketrun.language', fontSize: 'pocketrun.fontSize', code: (lang: string) => `pocketrun.code.${lang}` };

// A phone or tablet: no hover and a coarse pointer. Such screens type through the input line, not the terminal.
const touch = matchMedia('(pointer: coarse)').matches || (navigator.maxTouchPoints > 0 && !matchMedia('(hover: hover)').matches);
document.documentElement.classList.toggle('touch', touch);

const app = $('app');
const statusEl = $('status');
const elapsedEl = $('elapsed');
const connEl = $('conn');
const runButton = $<HTMLButtonElement>('run');
const stdin = $<HTMLInputElement>('stdin');
const sendButton = $<HTMLButtonElement>('send');
const picker = $<HTMLSelectElement>('language');

/* ---------- the viewport: everything stays above the on-screen keyboard ---------- */

// Where `interactive-widget=resizes-content` is honoured (Chrome on Android) the layout already shrinks with the
// keyboard. Elsewhere (Safari on iOS) the keyboard only covers the page: follow the visual viewport, so the key
// row and the input line sit right above the keyboard and nothing is hidden under it.
function fitViewport(): void {
  const vv = window.visualViewport;
  // Pinch-zoomed: the visual viewport is a magnified part of the page, not the room left by a keyboard.
  if (!vv || Math.abs(vv.scale - 1) > 0.01) return;
  app.style.height = `${Math.round(vv.height)}px`;
  app.style.transform = vv.offsetTop > 0 ? `translateY(${Math.round(vv.offsetTop)}px)` : '';
}
window.visualViewport?.addEventListener('resize', fitViewport);
window.visualViewport?.addEventListener('scroll', fitViewport);
fitViewport();

/* ---------- toast ---------- */

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(message: string): void {
  const el = $('toast');
  el.textContent = message;
  el.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(hideToast, 2500);
}
function hideToast(): void {
  clearTimeout(toastTimer);
  $('toast').classList.remove('shown');
}

/* ---------- the API and its token ---------- */

function askToken(): Promise<boolean> {
  const dialog = $<HTMLDialogElement>('tokenDialog');
  const input = $<HTMLInputElement>('tokenInput');
  input.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const token = input.value.trim();
        const ok = dialog.returnValue === 'ok' && token !== '';
        if (ok) store.set(KEY.token, token);
        resolve(ok);
      },
      { once: true },
    );
  });
}

const api = new Api({ getToken: () => store.get(KEY.token) ?? '', askToken });

/* ---------- font size and theme ---------- */

let fontSize = Math.min(24, Math.max(10, Number(store.get(KEY.fontSize)) || 14));
function applyFontSize(): void {
  document.documentElement.style.setProperty('--code-font-size', `${fontSize}px`);
  $('fontSize').textContent = `${fontSize} px`;
  terminal.setFontSize(fontSize);
}

/* ---------- the editor ---------- */

let languages: LanguageInfo[] = languageList(FALLBACK_RUNTIMES);
const languageInfo = (id: string) => languages.find((l) => l.id === id);

let saveTimer: ReturnType<typeof setTimeout> | undefined;
const editor = new CodeEditor({
  parent: $('editor'),
  onChange: (language, code) => {
    // The last code per language survives a reload (and a closed tab).
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => store.set(KEY.code(language), code), 300);
  },
});

/** First visit: the seed's prompt example for Python, a hello world elsewhere. */
function initialCode(lang: LanguageInfo): string {
  const saved = store.get(KEY.code(lang.id));
  if (saved !== null) return saved;
  return lang.id === 'python' ? SEED_EXAMPLES.find((e) => e.id === 'input')!.code : lang.hello;
}

function showLanguage(id: string): void {
  const lang = languageInfo(id) ?? languages[0];
  picker.value = lang.id;
  store.set(KEY.language, lang.id);
  editor.switchTo(lang.id, initialCode(lang), languageSupport(lang));
}

// A phone's toolbar leaves the picker room for a language's name, not its version too ("C 12.2.(" was all it showed).
const narrow = matchMedia('(max-width: 480px)');
const optionLabel = (l: LanguageInfo) => (l.version && !narrow.matches ? `${l.name} ${l.version}` : l.name);

function fillPicker(): void {
  picker.replaceChildren(
    ...languages.map((l) => {
      const option = document.createElement('option');
      option.value = l.id;
      option.textContent = optionLabel(l);
      return option;
    }),
  );
  if (editor.currentLanguage) picker.value = editor.currentLanguage;
  fillExamples();
}
narrow.addEventListener('change', () => {
  for (const option of Array.from(picker.options)) {
    const lang = languageInfo(option.value);
    if (lang) option.textContent = optionLabel(lang);
  }
});

picker.addEventListener('change', () => showLanguage(picker.value));

/* ---------- the terminal ---------- */

let session: RunSession | null = null;
const running = () => session !== null && !session.finished;

const terminal: ProgramTerminal = new ProgramTerminal({
  parent: $('terminal'),
  touch,
  fontSize,
  // Desktop: keystrokes go to the program as a local terminal sends them (Enter is "\r"; the PTY makes it "\n").
  onData: (data) => {
    if (running()) session!.send(data);
  },
  onResize: (cols, rows) => {
    if (running()) session!.resize(cols, rows);
  },
  onTouchFocus: () => {
    if (!stdin.disabled) stdin.focus();
  },
  takesTab: running,
});
applyFontSize();

const dark = matchMedia('(prefers-color-scheme: dark)');
const applyTheme = () => {
  editor.setDark(dark.matches);
  terminal.setDark(dark.matches);
};
dark.addEventListener('change', applyTheme);
applyTheme();

/* ---------- running ---------- */

function setStatus(text: string, status: string): void {
  statusEl.textContent = text;
  statusEl.dataset.status = status;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** The status line for a finished run: its status, exit code or signal, and wall time. */
function describeResult(r: RunResult): string {
  // A compile error's exit code is the compiler's (its messages are in the terminal): the program never ran.
  const how = r.status === 'compile_error' ? '' : r.signal ? r.signal : r.exitCode !== null ? `exit ${r.exitCode}` : '';
  const label: Record<string, string> = {
    ok: 'ok',
    compile_error: 'compile error',
    runtime_error: 'error',
    killed: 'stopped',
    timeout: 'time limit',
    output_limit: 'output limit',
    memory_limit: 'memory limit',
    disk_limit: 'disk limit',
    internal_error: 'internal error',
  };
  return [label[r.status] ?? r.status, how, seconds(r.wallMs), r.message ?? ''].filter(Boolean).join(' · ');
}

let ticker: ReturnType<typeof setInterval> | undefined;
function setMode(mode: 'idle' | 'starting' | 'running'): void {
  const stop = mode !== 'idle';
  runButton.dataset.mode = stop ? 'stop' : 'run';
  $('runLabel').textContent = stop ? 'Stop' : 'Run';
  runButton.title = stop ? 'Stop the program' : 'Run (Ctrl-Enter)';
  const inputOn = mode === 'running';
  stdin.disabled = !inputOn;
  sendButton.disabled = !inputOn;
  stdin.placeholder = inputOn ? 'Input · Enter sends it' : 'Input, once running';
  document.querySelectorAll<HTMLButtonElement>('#keys button.control').forEach((b) => (b.disabled = !inputOn));
  if (mode === 'idle') {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** Counts the time since `since` (Date.now() when the run was first seen running, which a reload keeps). */
function startTicker(since: number): void {
  clearInterval(ticker);
  elapsedEl.textContent = '';
  ticker = setInterval(() => (elapsedEl.textContent = seconds(Math.max(0, Date.now() - since))), 100);
}

function showConnection(problem: ConnectionProblem | null): void {
  // Short enough for a phone's status line; the reason is in the tooltip (and for screen readers). Queued input is
  // said outright, so that nobody types the line again.
  const state = problem ? `${problem.offline ? 'offline' : 'reconnecting…'}${problem.inputWaiting ? ' · input queued' : ''}` : '';
  connEl.textContent = state;
  connEl.title = problem ? `${problem.message}; the run goes on, its output is kept${problem.inputWaiting ? ', and the input is sent once the connection is back' : ''}` : '';
  connEl.setAttribute('aria-label', problem ? `${state}: ${problem.message}` : '');
  connEl.classList.toggle('shown', problem !== null);
}


/** Stop was pressed while the run was being created: kill it as soon as it has an id. */
let stopOnStart = false;

/**
 * The run this tab shows, in sessionStorage until its end has been shown: a reload, or a phone discarding the tab
 * in the background, comes back to it (`reattach`). `cols` and `rows` are the program's terminal size; `since`
 * when it was first seen running; `at` when the page last had it on screen.
 */
interface RunRecord {
  id: string;
  cols: number;
  rows: number;
  since?: number;
  at: number;
}
/**
 * A record older than this is dropped rather than followed: the run has ended (no run lasts longer than an hour,
 * *Run limits*), and its output is no news to whoever comes back to the tab.
 */
const REATTACH_WITHIN_MS = 60 * 60_000;

function readRecord(): RunRecord | null {
  try {
    const record = JSON.parse(tabStore.get(KEY.run) ?? 'null') as RunRecord | null;
    return record && typeof record.id === 'string' && Number.isInteger(record.cols) && Number.isInteger(record.rows) && typeof record.at === 'number' ? record : null;
  } catch {
    return null;
  }
}
const remember = (record: RunRecord) => tabStore.set(KEY.run, JSON.stringify(record));
/** Forgets the record, if it is still run `id`'s. */
const forget = (id: string) => readRecord()?.id === id && tabStore.set(KEY.run, null);

// A hidden page may be discarded without another event: note when it was last seen, which `reattach` goes by.
const touchRecord = () => {
  const record = readRecord();
  if (record && running()) remember({ ...record, at: Date.now() });
};
document.addEventListener('visibilitychange', touchRecord);
window.addEventListener('pagehide', touchRecord);

async function run(): Promise<void> {
  if (runButton.dataset.mode !== 'run') return;
  stopOnStart = false;
  // A run talks through the terminal: leave the judge panel (its tests stay as they are).
  if (judgeOpen()) await showJudge(false);
  const language = editor.currentLanguage;
  const code = editor.code;
  setMode('starting');
  hideToast();
  terminal.reset();
  showConnection(null);
  elapsedEl.textContent = '';
  setStatus('starting…', 'starting');
  await createAndFollow(newStart({ language, code, ...terminal.size }));
}

/**
 * Creates the run (web/src/startRun.ts: under its key, retried while unanswered, kept in the tab's storage until
 * answered) and follows it.
 */
async function createAndFollow(pending: PendingStart): Promise<void> {
  tabStore.set(KEY.starting, JSON.stringify(pending));
  let id: string;
  try {
    id = await createRun(api, pending, (problem) => setStatus(`starting… (${problem}; trying again)`, 'starting'));
  } catch (err) {
    // A refusal carries the API's own message, which names the field; anything else is the network.
    const message = err instanceof ApiRefusal ? err.message : `could not start the run: ${messageOf(err)}; check the connection and press Run again`;
    setStatus(message, 'error');
    terminal.note(`${message}\n`);
    setMode('idle');
    return;
  } finally {
    tabStore.set(KEY.starting, null);
  }
  const { cols, rows } = pending.body;
  const record = { id, cols, rows, at: Date.now() };
  remember(record);
  setStatus('queued', 'queued');
  await follow(record);
}

/**
 * After a reload: the tab's run, if it has one, shown again from its first byte and followed on; a create that was
 * unanswered at the reload is sent again under its key, which names the same run if the first one arrived.
 */
async function reattach(): Promise<void> {
  const pending = readPendingStart(tabStore.get(KEY.starting));
  if (pending && Date.now() - pending.at < START_WITHIN_MS) {
    setMode('starting');
    setStatus('starting…', 'starting');
    await createAndFollow(pending);
    return;
  }
  tabStore.set(KEY.starting, null);
  const record = readRecord();
  if (!record) return;
  if (Date.now() - record.at > REATTACH_WITHIN_MS) {
    forget(record.id);
    return;
  }
  setStatus('back to the run…', 'starting');
  await follow(record);
}

/**
 * Shows run `record.id` in the terminal from offset 0 and follows it to its end, with the input line and Stop
 * live; then shows its result and forgets the record. A new run and one reattached after a reload are the same.
 */
async function follow(record: RunRecord): Promise<void> {
  let since = record.since;
  let seenRunning = false;
  const events: RunEvents = {
    output: (bytes) => terminal.write(bytes),
    state: (state) => {
      if (current.finished) return;
      if (state === 'queued') setStatus('queued', 'queued');
      if (state === 'running' && !seenRunning) {
        seenRunning = true;
        setStatus('running', 'running');
        if (since === undefined) {
          since = Date.now();
          remember({ ...record, since, at: since });
        }
        startTicker(since);
      }
    },
    connection: showConnection,
    inputError: (message) => toast(`input not sent: ${message}`),
    queuedInput: (queued) => tabStore.set(KEY.input, queued ? JSON.stringify({ id: record.id, ...queued }) : null),
  };
  const current = new RunSession(api, record.id, events, queuedInputOf(record.id));
  session = current;
  current.startedWith(record.cols, record.rows);
  if (stopOnStart) void current.kill();
  setMode('running');
  terminal.focus();
  // The size may have changed while the run was being created, or since it was (another screen, after a reload).
  terminal.refit();
  current.resize(terminal.size.cols, terminal.size.rows);
  try {
    const result = await current.follow();
    setStatus(describeResult(result), result.status);
    statusEl.dataset.exitCode = result.exitCode === null ? '' : String(result.exitCode);
    elapsedEl.textContent = '';
  } catch (err) {
    setStatus(messageOf(err), 'error');
  } finally {
    forget(record.id);
    if (queuedInputOf(record.id)) tabStore.set(KEY.input, null);
    showConnection(null);
    setMode('idle');
    if (document.activeElement === stdin) stdin.blur();
  }
}

/** Input that this tab had queued for run `id` and not delivered before a reload (RunSession resumes it). */
function queuedInputOf(id: string): QueuedInput | undefined {
  try {
    const value = JSON.parse(tabStore.get(KEY.input) ?? 'null') as (QueuedInput & { id?: string }) | null;
    if (value?.id !== id || !isQueuedInput(value)) return undefined;
    const { pending, inFlight, keyPrefix, pieces } = value;
    return { pending, inFlight, keyPrefix, pieces };
  } catch {
    return undefined;
  }
}

function stop(): void {
  setStatus('stopping…', 'stopping');
  if (session && !session.finished) void session.kill();
  else stopOnStart = true;
}

runButton.addEventListener('click', () => (runButton.dataset.mode === 'run' ? void run() : stop()));
// Ctrl-Enter (Cmd-Enter on a Mac) runs from anywhere on the page, the editor included.
window.addEventListener(
  'keydown',
  (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      e.stopPropagation();
      // With the judge panel open, Ctrl-Enter judges: the panel is what the person is looking at.
      if (judgeOpen()) void judgePanel?.then((panel) => panel.judge());
      else void run();
    }
  },
  true,
);

/* ---------- the input line (touch screens) ---------- */

/** Lines sent from the input line, for ↑ and ↓. */
const sentLines: string[] = [];
let historyAt = 0;
$('inputLine').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!running()) return;
  const line = stdin.value;
  // The echo comes from the program's terminal, as in a local one.
  session!.send(line + '\n');
  if (line && sentLines[sentLines.length - 1] !== line) sentLines.push(line);
  historyAt = sentLines.length;
  stdin.value = '';
});

function recall(step: number): void {
  if (sentLines.length === 0) return;
  historyAt = Math.max(0, Math.min(sentLines.length, historyAt + step));
  stdin.value = sentLines[historyAt] ?? '';
  stdin.setSelectionRange(stdin.value.length, stdin.value.length);
}
stdin.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowUp') {
    e.preventDefault();
    recall(-1);
  } else if (e.key === 'ArrowDown') {
    e.preventDefault();
    recall(1);
  }
});

/* ---------- the key row ---------- */

let typingInto: 'editor' | 'input' = 'editor';
const markFocus = (target: 'editor' | 'input' | null) => {
  if (target) typingInto = target;
  app.classList.toggle('focus-editor', target === 'editor');
  app.classList.toggle('focus-input', target === 'input');
};
$('editor').addEventListener('focusin', () => markFocus('editor'));
stdin.addEventListener('focus', () => markFocus('input'));
stdin.addEventListener('blur', () => markFocus(null));
$('editor').addEventListener('focusout', () => markFocus(null));

function typeIntoInput(text: string): void {
  stdin.focus();
  // insertText keeps the browser's own undo; setRangeText where it is missing.
  if (!document.execCommand('insertText', false, text)) {
    const start = stdin.selectionStart ?? stdin.value.length;
    stdin.setRangeText(text, start, stdin.selectionEnd ?? start, 'end');
  }
}

function pressKey(action: KeyAction): void {
  if (action.kind === 'control') {
    if (running()) session!.send(action.data);
    return;
  }
  if (typingInto === 'input' && !stdin.disabled) {
    if (action.kind === 'text') typeIntoInput(action.text);
    else if (action.command === 'tab') typeIntoInput('\t');
    else if (action.command === 'up') recall(-1);
    else if (action.command === 'down') recall(1);
    else if (action.command === 'undo') document.execCommand('undo');
    else {
      const at = Math.max(0, Math.min(stdin.value.length, (stdin.selectionStart ?? 0) + (action.command === 'left' ? -1 : 1)));
      stdin.setSelectionRange(at, at);
    }
    return;
  }
  if (action.kind === 'text') editor.type(action.text);
  else editor.command(action.command);
}
mountKeyRow($('keys'), pressKey);

/* ---------- examples ---------- */

function fillExamples(): void {
  const list = $('exampleList');
  list.replaceChildren(
    ...examplesFor(languages).map((example) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'example';
      button.dataset.example = example.id;
      const title = document.createElement('strong');
      title.textContent = example.title;
      const description = document.createElement('span');
      description.textContent = example.description;
      button.append(title, description);
      button.addEventListener('click', () => {
        if (editor.currentLanguage !== example.language) showLanguage(example.language);
        editor.setCode(example.code);
        $<HTMLDialogElement>('examplesDialog').close();
        toast(`${example.title}: press Run`);
      });
      return button;
    }),
  );
}
$('examples').addEventListener('click', () => $<HTMLDialogElement>('examplesDialog').showModal());

/* ---------- share ---------- */

async function share(): Promise<void> {
  const fragment = await encodeShare({ language: editor.currentLanguage, code: editor.code });
  const url = `${location.origin}${location.pathname}#${fragment}`;
  window.history.replaceState(null, '', `#${fragment}`);
  if (touch && typeof navigator.share === 'function') {
    try {
      await navigator.share({ title: 'pocketrun', url });
      return;
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    toast('Link copied: it holds the code itself');
  } catch {
    const link = $<HTMLInputElement>('shareLink');
    link.value = url;
    $<HTMLDialogElement>('shareDialog').showModal();
    link.select();
  }
}
$('share').addEventListener('click', () => void share());
$('shareCopy').addEventListener('click', () => {
  const link = $<HTMLInputElement>('shareLink');
  link.select();
  navigator.clipboard.writeText(link.value).then(
    () => toast('Link copied'),
    () => toast(document.execCommand('copy') ? 'Link copied' : 'Select the link and copy it'),
  );
});

/* ---------- settings, copy ---------- */

$('menu').addEventListener('click', () => $<HTMLDialogElement>('menuDialog').showModal());
const changeFont = (delta: number) => {
  fontSize = Math.min(24, Math.max(10, fontSize + delta));
  store.set(KEY.fontSize, String(fontSize));
  applyFontSize();
};
$('fontDown').addEventListener('click', () => changeFont(-1));
$('fontUp').addEventListener('click', () => changeFont(1));
$('tokenEdit').addEventListener('click', () => void askToken().then((ok) => ok && toast('Token saved in this browser')));
$('tokenClear').addEventListener('click', () => {
  store.set(KEY.token, null);
  toast('Token forgotten');
});
$('copy').addEventListener('click', () => {
  navigator.clipboard.writeText(terminal.lines().join('\n') + '\n').then(
    () => toast('Output copied'),
    () => toast('Copying was not allowed'),
  );
});

/* ---------- the judge panel ---------- */

// Judge mode (POST /api/execute): the panel takes the terminal's place while the toggle is pressed. Its code is a
// chunk of its own, imported the first time it is opened, so a first visit does not download it.
const judgeToggle = $<HTMLButtonElement>('judgeToggle');
let judgePanel: Promise<JudgePanel> | null = null;
const judgeOpen = () => judgeToggle.getAttribute('aria-pressed') === 'true';

function loadJudgePanel(): Promise<JudgePanel> {
  judgePanel ??= import('./judge').then(
    ({ mountJudgePanel }) => mountJudgePanel($('judge'), { api, program: () => ({ language: editor.currentLanguage, code: editor.code }) }),
    (err: unknown) => {
      // A dropped network while the chunk loads: the next press tries again.
      judgePanel = null;
      throw err;
    },
  );
  return judgePanel;
}

async function showJudge(open: boolean): Promise<void> {
  if (open) {
    try {
      await loadJudgePanel();
    } catch (err) {
      toast(`the judge panel did not load: ${messageOf(err)}`);
      return;
    }
  }
  judgeToggle.setAttribute('aria-pressed', String(open));
  $('judge').hidden = !open;
  $('termPane').hidden = open;
  app.classList.toggle('judging', open);
  // Back to the terminal: it was hidden (no size), fit it to its box again.
  if (!open) terminal.refit();
}
judgeToggle.addEventListener('click', () => void showJudge(!judgeOpen()));

/* ---------- start ---------- */

// For the tests and the curious, from the console: what the program printed and what the screen shows.
declare global {
  interface Window {
    pocketrun?: {
      transcript(): string;
      screen(): string[];
      size(): { cols: number; rows: number };
      code(): string;
      language(): string;
      runId(): string | null;
    };
  }
}
window.pocketrun = {
  transcript: () => terminal.transcript,
  screen: () => terminal.lines(),
  size: () => terminal.size,
  code: () => editor.code,
  language: () => editor.currentLanguage,
  runId: () => session?.id ?? null,
};

async function start(): Promise<void> {
  setMode('idle');
  // At once, before anything is awaited: from here on Run sees the reattached run and does not start another.
  void reattach();
  const runtimes: Promise<Runtime[] | null> = api.runtimes();
  const shared = location.hash ? await decodeShare(location.hash) : null;
  const wanted = shared?.language ?? store.get(KEY.language) ?? 'python';
  const useRuntimes = (list: Runtime[] | null) => {
    if (!list || list.length === 0) return;
    languages = languageList(list);
    fillPicker();
  };
  fillPicker();
  // A language beyond the three every server runs: wait for the server's list before choosing.
  if (!languageInfo(wanted)) useRuntimes(await runtimes);
  showLanguage(languageInfo(wanted) ? wanted : (languageInfo('python') ?? languages[0]).id);
  if (shared) {
    if (editor.currentLanguage === shared.language) {
      editor.setCode(shared.code);
      toast('Opened a shared program: press Run');
    } else {
      toast(`This server does not run ${shared.language}`);
    }
    // The link is loaded; from here on the code is this browser's (a reload shows the latest edit).
    window.history.replaceState(null, '', location.pathname + location.search);
  }
  void runtimes.then((list) => {
    const current = editor.currentLanguage;
    useRuntimes(list);
    if (!languageInfo(current)) showLanguage(languages[0].id);
  });
}

void start();
