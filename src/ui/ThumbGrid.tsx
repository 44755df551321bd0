// Thumbnails of dropped images. Object URLs are made when a thumbnail is first on screen and released when it
// leaves the DOM; only the first `limit` are rendered, so thousands of files stay light.
import { memo, useEffect, useRef, useState } from 'react';

export interface ThumbItem {
  id: number;
  file: File;
  path: string;
  badge?: string;
}

const Thumb = memo(function Thumb({ item, onRemove, disabled }: { item: ThumbItem; onRemove?: (id: number) => void; disabled?: boolean }) {
  const ref = useRef<HTMLLIElement>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [broken, setBroken] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let made: string | null = null;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !made) {
          made = URL.createObjectURL(item.file);
          setUrl(made);
          io.disconnect();
        }
      },
      { rootMargin: '200px' },
    );
    io.observe(el);
    return () => {
      io.disconnect();
      if (made) URL.revokeObjectURL(made);
    };
  }, [item.file]);
  return (
    <li ref={ref} className="thumb" title={item.path}>
      {url && !broken ? (
        <img src={url} alt={item.path} loading="lazy" decoding="async" onError={() => setBroken(true)} />
      ) : (
        <div className={`thumb-placeholder${broken ? ' is-broken' : ''}`} title={broken ? `${item.path}: no preview (the browser cannot decode it)` : undefined}>
          {broken && <span>?</span>}
        </div>
      )}
      {item.badge && <span className="thumb-badge">{item.badge}</span>}
      {onRemove && (
        <button type="button" className="thumb-remove" aria-label={`Remove ${item.path}`} disabled={disabled} onClick={() => onRemove(item.id)}>
          ×
        </button>
      )}
    </li>
  );
});

export function ThumbGrid({ items, limit = 120, onRemove, disabled, testId }: { items: ThumbItem[]; limit?: number; onRemove?: (id: number) => void; disabled?: boolean; testId?: string }) {
  const [shown, setShown] = useState(limit);
  if (!items.length) return null;
  return (
    <div className="thumbs-wrap">
      <ul className="thumbs" data-testid={testId} aria-label={`${items.length} images`}>
        {items.slice(0, shown).map((i) => (
          <Thumb key={i.id} item={i} onRemove={onRemove} disabled={disabled} />
        ))}
      </ul>
      {items.length > shown && (
        <button type="button" className="btn btn-link" onClick={() => setShown(shown + limit * 2)}>
          Showing {shown} of {items.length} — show more
        </button>
      )}
    </div>
  );
}
