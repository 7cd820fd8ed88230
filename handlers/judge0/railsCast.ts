/**
 * How Judge0 (Rails, ActiveModel's attribute types) reads a submission's numbers and booleans: a JSON number or a
 * string holding one (`"128000"`, `" 2.5 "`), a blank string as absent (Judge0 then applies its default); for a
 * boolean, JSON's and the strings and numbers Rails casts (`"true"`, `"1"`, `"false"`, `"0"`, …). Clients build
 * bodies from form fields and send numbers as strings, which Judge0 takes, so refusing them here would break them.
 * Anything else is a 422 naming the field, in Rails' words ("is not a number").
 */
import { invalid } from './judge0Errors';

// Ruby's Float(): an optional sign, digits with an optional fraction, an optional exponent; spaces around it.
const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number field: its value, or undefined when absent, null or blank. */
export function railsNumber(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (value.trim() === '') return undefined;
    if (!DECIMAL.test(value)) throw invalid(field, 'is not a number');
    return Number(value);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'is not a number');
  return value;
}

const TRUE = new Set(['true', 't', '1', 'on']);
const FALSE = new Set(['false', 'f', '0', 'off']);

/** A boolean field: its value, or undefined when absent, null or blank. */
export function railsBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const key = String(value).trim().toLowerCase();
  if ((typeof value === 'string' || value === 0 || value === 1) && TRUE.has(key)) return true;
  if ((typeof value === 'string' || value === 0 || value === 1) && FALSE.has(key)) return false;
  throw invalid(field, 'must be true or false');
}
