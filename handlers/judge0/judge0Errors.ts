/**
 * Errors as Judge0 answers them: a validation failure is `422 {"<field>": ["<message>"]}` (Rails' errors hash, which
 * Judge0's clients print), anything else `{"error": "<message>"}` with its status.
 */
import { ApiError } from '../../core/apiError';

/** A 422 naming the field, in Judge0's words where it has them (`can't be blank`). */
export const invalid = (field: string, message: string) => new ApiError(422, 'invalid_request', `${field}: ${message}`);

/** Rails' errors hash of a refusal whose message names its field (`field: message`), else `{error}`. */
export function errorsHash(err: ApiError): Record<string, unknown> {
  const at = err.message.indexOf(': ');
  return at > 0 ? { [err.message.slice(0, at)]: [err.message.slice(at + 2)] } : { error: err.message };
}

export const JUDGE0_ERRORS = {
  client: (err: ApiError): unknown => (err.status === 422 ? errorsHash(err) : { error: err.message }),
  internal: (requestId: string): unknown => ({ error: `internal error; see the request id in the logs (${requestId})` }),
};
