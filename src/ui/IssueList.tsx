// A collapsible list of files and the reason each was not used, so nothing disappears silently.
export function IssueList({ title, items, testId }: { title: string; items: { name: string; reason: string }[]; testId?: string }) {
  if (!items.length) return null;
  return (
    <details className="issues" data-testid={testId} open={items.length <= 5}>
      <summary>
        {title}: {items.length}
      </summary>
      <ul>
        {items.slice(0, 200).map((i, k) => (
          <li key={k}>
            {i.reason.includes(i.name) ? i.reason : <><strong>{i.name}</strong>: {i.reason}</>}
          </li>
        ))}
        {items.length > 200 && <li className="muted">…and {items.length - 200} more</li>}
      </ul>
    </details>
  );
}
