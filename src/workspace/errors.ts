/** Errors the workspace turns into HTTP answers (and the chat side into messages). */
export class WorkspaceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

export const notFound = (what = 'resource'): WorkspaceError => new WorkspaceError(404, 'not_found', `No such ${what}.`);
export const forbidden = (message = 'Not allowed.'): WorkspaceError => new WorkspaceError(403, 'forbidden', message);
export const unauthorized = (): WorkspaceError => new WorkspaceError(401, 'unauthorized', 'Sign in first (a link from the chat command "masuk"), or send an API key.');
export const badRequest = (message: string, details?: unknown): WorkspaceError => new WorkspaceError(400, 'bad_request', message, details);
