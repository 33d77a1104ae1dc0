import type { ComponentChildren } from 'preact';

/** A labelled input with its error (or hint) below; the input refers to it with aria-describedby `${id}-err`. */
export function Field(props: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.error ? (
        <p class="field-error" id={`${props.id}-err`} role="alert">
          {props.error}
        </p>
      ) : (
        props.hint && (
          <p class="field-hint" id={`${props.id}-hint`}>
            {props.hint}
          </p>
        )
      )}
    </div>
  );
}
