// The hidden file input behind a "Choose…" button: hands over the chosen files and clears itself, so picking the
// same file again (after fixing it) is seen again.
import type { RefObject } from 'react';

export function HiddenFileInput(props: {
  inputRef: RefObject<HTMLInputElement | null>;
  accept: string;
  multiple?: boolean;
  testId?: string;
  onFiles: (files: File[]) => void;
}) {
  return (
    <input
      ref={props.inputRef}
      type="file"
      accept={props.accept}
      multiple={props.multiple ?? true}
      hidden
      data-testid={props.testId}
      onChange={(e) => {
        const files = Array.from(e.currentTarget.files ?? []);
        e.currentTarget.value = '';
        if (files.length) props.onFiles(files);
      }}
    />
  );
}
