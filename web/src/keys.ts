/**
 * The row of keys above the on-screen keyboard, for what phone keyboards make hard to type in code. Pressing a key
 * never moves the focus (so the keyboard stays open and the text goes where the cursor is); arrows repeat while held.
 */

export type KeyAction =
  | { kind: 'text'; text: string }
  | { kind: 'command'; command: 'tab' | 'left' | 'right' | 'up' | 'down' | 'undo' }
  | { kind: 'control'; data: string };

interface KeyDef {
  label: string;
  name: string;
  action: KeyAction;
  repeat?: boolean;
  wide?: boolean;
}

const text = (t: string, name = t): KeyDef => ({ label: t, name, action: { kind: 'text', text: t } });

export const KEYS: KeyDef[] = [
  { label: 'Tab', name: 'Tab', action: { kind: 'command', command: 'tab' }, wide: true },
  text('('),
  text(')'),
  text('"', 'double quote'),
  text("'", 'single quote'),
  text(':'),
  text('['),
  text(']'),
  text('{'),
  text('}'),
  text('='),
  text(';'),
  text('<'),
  text('>'),
  { label: '←', name: 'Left', action: { kind: 'command', command: 'left' }, repeat: true },
  { label: '→', name: 'Right', action: { kind: 'command', command: 'right' }, repeat: true },
  { label: '↑', name: 'Up', action: { kind: 'command', command: 'up' }, repeat: true },
  { label: '↓', name: 'Down', action: { kind: 'command', command: 'down' }, repeat: true },
  { label: '↶', name: 'Undo', action: { kind: 'command', command: 'undo' } },
  { label: '^C', name: 'Ctrl-C (interrupt the program)', action: { kind: 'control', data: '\x03' }, wide: true },
  { label: '^D', name: 'Ctrl-D (end of input)', action: { kind: 'control', data: '\x04' }, wide: true },
];

export function mountKeyRow(container: HTMLElement, press: (action: KeyAction) => void): void {
  for (const key of KEYS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = key.label;
    button.setAttribute('aria-label', key.name);
    button.dataset.key = key.name;
    button.tabIndex = -1;
    if (key.wide) button.classList.add('wide');
    if (key.action.kind === 'control') button.classList.add('control');
    let repeatTimer: ReturnType<typeof setTimeout> | undefined;
    let repeated = false;
    const stop = () => {
      clearTimeout(repeatTimer);
      repeatTimer = undefined;
    };
    // Keep the focus (and so the on-screen keyboard) where it is.
    button.addEventListener('mousedown', (e) => e.preventDefault());
    button.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      repeated = false;
      if (!key.repeat) return;
      const again = (delay: number) => {
        repeatTimer = setTimeout(() => {
          repeated = true;
          press(key.action);
          again(60);
        }, delay);
      };
      again(450);
    });
    for (const end of ['pointerup', 'pointercancel', 'pointerleave']) button.addEventListener(end, stop);
    button.addEventListener('click', (e) => {
      e.preventDefault();
      stop();
      if (!repeated) press(key.action);
      repeated = false;
    });
    container.append(button);
  }
}
