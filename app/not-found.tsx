import Link from "next/link";

/** Every missing page and token: Next.js answers it with HTTP 404 (pages call notFound() for a missing token). */
export default function NotFound() {
  return (
    <div className="container">
      <div className="notice info" data-testid="not-found">
        <strong>Not found</strong>
        <p>There is nothing at this address: no page, or no token with this id on this chain.</p>
        <p className="small">
          <Link href="/">Datasets</Link> · <Link href="/models">Models</Link> · <Link href="/search">Search</Link>
        </p>
      </div>
    </div>
  );
}
