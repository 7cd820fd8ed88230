/**
 * Errors as Judge0 answers them: a validation failure is `422 {"<field>": ["<message>"]}` (Rails' errors hash, which
 * Judge0's clients print), anything else `{"error": "<message>"}` with its status.
 */
import { ApiError } from '../../core/apiError';

/** A 422 naming the field, in Judge0's words where it has them (`can't be blank`). */
export const invalid = (field: string, message: string) => new ApiError(422, 'invalid_request', `${field}: ${message}`);

export const JUDGE0_ERRORS = {
  client(err: ApiError): unknown {
    if (err.status === 422) {
      const at = err.message.indexOf(': ');
      return at > 0 ? { [err.message.slice(0, at)]: [err.message.slice(at + 2)] } : { error: err.message };
    }
    return { error: err.message };
  },
  internal: (requestId: string): unknown => ({ error: `internal error; see the request id in the logs (${requestId})` }),
};
