// A drop target for images and folders with "choose files" and "choose folder" buttons as the keyboard path.
import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import type { PickedFiles } from '../state/files';
import { collectDropped, collectPicked } from './lib/files';

interface Props {
  onFiles(picked: PickedFiles): void;
  title: string;
  hint?: ReactNode;
  testId: string;
  disabled?: boolean;
  compact?: boolean;
  folders?: boolean;
}

const ACCEPT = 'image/png,image/jpeg,image/webp,image/bmp,.png,.jpg,.jpeg,.webp,.bmp';

export function Dropzone({ onFiles, title, hint, testId, disabled, compact, folders = true }: Props) {
  const [over, setOver] = useState(false);
  const [reading, setReading] = useState(false);
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const depth = useRef(0);

  const accept = (e: DragEvent) => {
    if (disabled) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    if (disabled) return;
    // Entries must be taken before this handler returns.
    const pending = collectDropped(e.dataTransfer);
    setReading(true);
    pending.then(onFiles).finally(() => setReading(false));
  };

  return (
    <div
      className={`dropzone${over ? ' is-over' : ''}${compact ? ' is-compact' : ''}${disabled ? ' is-disabled' : ''}`}
      data-testid={testId}
      role="region"
      aria-label={title}
      onDragEnter={(e) => {
        accept(e);
        depth.current++;
        if (!disabled) setOver(true);
      }}
      onDragOver={accept}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDrop={onDrop}
    >
      <div className="dropzone-title">{reading ? 'Reading files…' : title}</div>
      {hint && <div className="dropzone-hint">{hint}</div>}
      <div className="dropzone-actions">
        <button type="button" className="btn" disabled={disabled} onClick={() => files.current?.click()}>
          Choose images…
        </button>
        {folders && (
          <button type="button" className="btn" disabled={disabled} onClick={() => folder.current?.click()}>
            Choose folder…
          </button>
        )}
      </div>
      <input
        ref={files}
        type="file"
        multiple
        accept={ACCEPT}
        hidden
        data-testid={`${testId}-input`}
        onChange={(e) => {
          onFiles(collectPicked(e.currentTarget.files));
          e.currentTarget.value = '';
        }}
      />
      {folders && (
        <input
          ref={folder}
          type="file"
          hidden
          webkitdirectory=""
          onChange={(e) => {
            onFiles(collectPicked(e.currentTarget.files));
            e.currentTarget.value = '';
          }}
        />
      )}
    </div>
  );
}
