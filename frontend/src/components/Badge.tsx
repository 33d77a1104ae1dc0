export function Badge({ status }: { status: string }) {
  return <span class={`badge ${status.toLowerCase()}`}>{status}</span>;
}
