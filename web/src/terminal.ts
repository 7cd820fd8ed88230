/**
 * The program's terminal: xterm.js, fitted to its box. It is given the program's bytes exactly as they came; xterm
 * decodes UTF-8 as a stream (a character split between two answers is joined) and renders colours, `\r` progress
 * lines and cursor movement as a local terminal does. A transcript of the decoded text is kept for Copy.
 *
 * Typing: on a desktop the terminal takes the keyboard itself (onData → the program's stdin, as in a local
 * terminal). On touch screens its hidden textarea is unreliable with Android keyboards (xterm.js issue #3600), so it
 * never takes the focus there: the page's native input line does the typing.
 *
 * Leaving it by keyboard (WCAG 2.1.2, no keyboard trap): while a program runs, Tab is the program's, as in a local
 * terminal; Esc then Tab or Shift-Tab (within 2 s, nothing typed between) moves the focus on, as it does in the code
 * editor, and Esc itself still reaches the program. With no run going, Tab and Shift-Tab move the focus at once.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';

export interface TerminalOptions {
  parent: HTMLElement;
  touch: boolean;
  fontSize: number;
  onData(data: string): void;
  onResize(cols: number, rows: number): void;
  /** A tap on the terminal on a touch screen: where the typing should go instead. */
  onTouchFocus(): void;
  /** Whether Tab is typed to a program now (a run is going) rather than moving the focus. */
  takesTab(): boolean;
}

/** How long after Esc a Tab leaves the terminal: CodeMirror's own window for leaving the editor. */
const LEAVE_AFTER_ESC_MS = 2_000;
const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'Meta']);

const LIGHT: ITheme = {
  background: '#ffffff',
  foreground: '#1f2328',
  cursor: '#1f2328',
  selectionBackground: '#b6d3ff',
  black: '#1f2328',
  red: '#cf222e',
  green: '#116329',
  yellow: '#7d4e00',
  blue: '#0550ae',
  magenta: '#8250df',
  cyan: '#1b7c83',
  white: '#6e7781',
  brightBlack: '#57606a',
  brightRed: '#a40e26',
  brightGreen: '#1a7f37',
  brightYellow: '#633c01',
  brightBlue: '#218bff',
  brightMagenta: '#a475f9',
  brightCyan: '#3192aa',
  brightWhite: '#8c959f',
};
// Matches the editor's One Dark.
const DARK: ITheme = { background: '#21252b', foreground: '#dcdfe4', cursor: '#dcdfe4', selectionBackground: '#3e4451' };

export class ProgramTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private decoder = new TextDecoder('utf-8');
  private transcriptText = '';
  private lastSize = '';

  constructor(private readonly options: TerminalOptions) {
    this.term = new Terminal({
      fontFamily: 'ui-monospace, "SF Mono", Menlo, "Cascadia Mono", "Roboto Mono", "DejaVu Sans Mono", monospace',
      fontSize: options.fontSize,
      scrollback: 5000,
      cursorBlink: !options.touch,
      // The PTY already turns "\n" into "\r\n".
      convertEol: false,
      disableStdin: options.touch,
      allowProposedApi: false,
      theme: LIGHT,
    });
    this.term.loadAddon(this.fit);
    this.term.open(options.parent);
    const textarea = this.term.textarea;
    if (options.touch && textarea) {
      // No keyboard for the terminal itself on a phone: the input line is the way in.
      textarea.setAttribute('inputmode', 'none');
      textarea.readOnly = true;
      textarea.tabIndex = -1;
      textarea.addEventListener('focus', () => {
        textarea.blur();
        options.onTouchFocus();
      });
    }
    let escapedAt = -Infinity;
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      if (e.key === 'Tab' && !e.ctrlKey && !e.altKey && !e.metaKey && (!options.takesTab() || e.timeStamp - escapedAt <= LEAVE_AFTER_ESC_MS)) {
        escapedAt = -Infinity;
        // Not xterm's: the browser's default moves the focus.
        return false;
      }
      if (e.key === 'Escape') escapedAt = e.timeStamp;
      else if (!MODIFIERS.has(e.key)) escapedAt = -Infinity;
      return true;
    });
    this.term.onData((data) => options.onData(data));
    new ResizeObserver(() => this.refit()).observe(options.parent);
    this.refit();
  }

  /** Fits the terminal to its box; reports a changed size. */
  refit(): void {
    if (!this.options.parent.isConnected || this.options.parent.clientWidth === 0 || this.options.parent.clientHeight === 0) return;
    try {
      this.fit.fit();
    } catch {
      return;
    }
    const size = `${this.term.cols}x${this.term.rows}`;
    if (size !== this.lastSize) {
      this.lastSize = size;
      this.options.onResize(this.term.cols, this.term.rows);
    }
  }

  /** The size to create a run with, within what the API accepts. */
  get size(): { cols: number; rows: number } {
    return { cols: Math.max(10, Math.min(500, this.term.cols)), rows: Math.max(2, Math.min(200, this.term.rows)) };
  }

  write(bytes: Uint8Array): void {
    this.term.write(bytes);
    this.transcriptText += this.decoder.decode(bytes, { stream: true });
  }

  /** A line from the page itself (not the program): dimmed, and not part of the transcript. */
  note(text: string): void {
    this.term.write(`\x1b[2m${text.replace(/\n/g, '\r\n')}\x1b[0m`);
  }

  reset(): void {
    this.term.reset();
    this.decoder = new TextDecoder('utf-8');
    this.transcriptText = '';
  }

  /** Everything the program printed, as text. */
  get transcript(): string {
    return this.transcriptText;
  }

  /** What the screen and its scrollback show now, one string per line, trailing blanks trimmed. */
  lines(): string[] {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buffer.length; i++) out.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (out.length && out[out.length - 1] === '') out.pop();
    return out;
  }

  setDark(dark: boolean): void {
    this.term.options.theme = dark ? DARK : LIGHT;
  }

  setFontSize(px: number): void {
    this.term.options.fontSize = px;
    this.refit();
  }

  focus(): void {
    if (!this.options.touch) this.term.focus();
  }
}
