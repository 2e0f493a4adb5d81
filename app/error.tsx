"use client";

/** Unexpected failures only: known ones (chain, storage, tokens) are rendered in place by each page. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="container">
      <div className="notice" role="alert">
        <strong>Something went wrong</strong>
        <p>The page could not be shown. The server log has the details{error.digest ? ` (reference ${error.digest})` : ""}.</p>
        <p>
          <button type="button" className="secondary" onClick={reset}>
            Try again
          </button>
        </p>
      </div>
    </div>
  );
}
