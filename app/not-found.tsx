import Link from "next/link";

export default function NotFound() {
  return (
    <main className="container">
      <div className="notice info">
        <strong>Page not found</strong>
        <p>There is nothing at this address.</p>
        <p className="small">
          <Link href="/">Back to the datasets</Link>
        </p>
      </div>
    </main>
  );
}
