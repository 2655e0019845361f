// A window of a listing: the CSP paging model, where `start` is the 1-based index of the first item.
export interface Page {
  /** 1-based index of the first item. */
  readonly start: number;
  readonly limit: number;
}
