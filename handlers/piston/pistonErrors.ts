/** Errors as Piston answers them: `{"message": "..."}` with the status (400 for every bad request). */
import { ApiError } from '../../core/apiError';

export const pistonError = (message: string, status = 400) => new ApiError(status, 'invalid_request', message);

export const PISTON_ERRORS = {
  client: (err: ApiError): unknown => ({ message: err.message }),
  internal: (requestId: string): unknown => ({ message: `internal error; see the request id in the logs (${requestId})` }),
};
