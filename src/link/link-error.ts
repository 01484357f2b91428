/**
 * An error of the linking logic with the HTTP status its admin route answers. Apart from the
 * service so the routes can tell it from anything else without loading the service.
 */
export class LinkError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "LinkError";
  }
}
