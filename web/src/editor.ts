/**
 * The code editor: CodeMirror 6 with line numbers, undo history, bracket closing and matching, indentation by
 * language, highlighting (light or dark with the system), a font size, and Tab to indent (Esc then Tab leaves the editor; Ctrl-Enter to run is the page's). Each language keeps
 * its own document and undo history, so switching back and forth loses nothing and undo never crosses languages.
 */
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { cursorCharLeft, cursorCharRight, cursorLineDown, cursorLineUp, defaultKeymap, history, historyKeymap, indentLess, indentMore, indentWithTab, redo, undo } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { oneDark } from '@codemirror/theme-one-dark';

export interface EditorOptions {
  parent: HTMLElement;
  onChange(language: string, code: string): void;
}

const base = EditorView.theme({
  '&': { height: '100%', fontSize: 'var(--code-font-size)' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.45', overflow: 'auto' },
  '.cm-content': { paddingBottom: '2rem' },
  '.cm-gutters': { border: 'none' },
});

export class CodeEditor {
  readonly view: EditorView;
  private readonly states = new Map<string, EditorState>();
  private readonly languageSlot = new Compartment();
  private readonly themeSlot = new Compartment();
  private language = '';
  private dark = false;
  private readonly supports = new Map<string, Extension>();

  constructor(private readonly options: EditorOptions) {
    this.view = new EditorView({ parent: options.parent, state: this.newState('', '') });
  }

  private newState(language: string, doc: string): EditorState {
    return EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        EditorView.lineWrapping,
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        base,
        this.themeSlot.of(this.themeExtension()),
        this.languageSlot.of(this.supports.get(language) ?? []),
        EditorView.contentAttributes.of({ 'aria-label': 'Code', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false', translate: 'no' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) this.options.onChange(this.language, update.state.doc.toString());
        }),
      ],
    });
  }

  private themeExtension(): Extension {
    return this.dark ? oneDark : syntaxHighlighting(defaultHighlightStyle, { fallback: true });
  }

  get currentLanguage(): string {
    return this.language;
  }

  get code(): string {
    return this.view.state.doc.toString();
  }

  /** Shows `language`'s document (`initial` the first time); its highlighting follows when loaded. */
  switchTo(language: string, initial: string, support: Promise<Extension>): void {
    if (this.language) this.states.set(this.language, this.view.state);
    this.language = language;
    const saved = this.states.get(language);
    this.view.setState(saved ?? this.newState(language, initial));
    // A saved state may carry the other theme or an unloaded mode: bring it up to date.
    this.view.dispatch({ effects: [this.themeSlot.reconfigure(this.themeExtension()), this.languageSlot.reconfigure(this.supports.get(language) ?? [])] });
    void support.then((ext) => {
      this.supports.set(language, ext);
      if (this.language === language) this.view.dispatch({ effects: this.languageSlot.reconfigure(ext) });
    });
  }

  /** Replaces the code as one undoable change (an example or a shared link never destroys what was there). */
  setCode(code: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: code }, selection: { anchor: 0 }, scrollIntoView: true });
  }

  setDark(dark: boolean): void {
    this.dark = dark;
    this.view.dispatch({ effects: this.themeSlot.reconfigure(this.themeExtension()) });
  }

  focus(): void {
    this.view.focus();
  }

  /** Types `text` as a keyboard would: through the input handlers, so bracket closing and re-indentation apply. */
  type(text: string): void {
    const view = this.view;
    const { from, to } = view.state.selection.main;
    const insert = () => view.state.update({ changes: { from, to, insert: text }, selection: { anchor: from + text.length }, userEvent: 'input.type', scrollIntoView: true });
    for (const handler of view.state.facet(EditorView.inputHandler)) {
      if (handler(view, from, to, text, insert)) return;
    }
    view.dispatch(insert());
  }

  /** The key row's keys that are commands rather than text. */
  command(name: 'tab' | 'untab' | 'left' | 'right' | 'up' | 'down' | 'undo' | 'redo'): void {
    const view = this.view;
    switch (name) {
      case 'tab':
        // With nothing selected, one indentation level at the cursor; with a selection, indent its lines.
        if (view.state.selection.ranges.every((r) => r.empty)) view.dispatch(view.state.replaceSelection(view.state.facet(indentUnit)), { userEvent: 'input' });
        else indentMore(view);
        break;
      case 'untab':
        indentLess(view);
        break;
      case 'left':
        cursorCharLeft(view);
        break;
      case 'right':
        cursorCharRight(view);
        break;
      case 'up':
        cursorLineUp(view);
        break;
      case 'down':
        cursorLineDown(view);
        break;
      case 'undo':
        undo(view);
        break;
      case 'redo':
        redo(view);
        break;
    }
  }
}
