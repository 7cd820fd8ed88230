/** An error the API answers with: HTTP status plus `{"error": {"code", "message"}}`, the message naming the field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Headers the answer carries besides the JSON ones (405's `allow`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
