/**
 * Inputs of the automation builder: a text input or JSON editor with a menu that inserts a
 * placeholder ({{record.title}}, {{secret.name}} …) where the cursor is.
 */
import { useEffect, useRef, useState } from 'react';
import { ActionIcon, Menu, ScrollArea, Textarea, TextInput, Tooltip, type TextInputProps } from '@mantine/core';
import { IconBraces } from '@tabler/icons-react';
import type { Json } from './model.js';

export type PlaceholderGroups = { group: string; items: string[] }[];

function PlaceholderMenu({ groups, onPick, label }: { groups: PlaceholderGroups; onPick(text: string): void; label: string }) {
  return (
    <Menu position="bottom-end" withinPortal shadow="md">
      <Menu.Target>
        <Tooltip label="Insert a placeholder">
          <ActionIcon variant="subtle" size="sm" aria-label={`Insert a placeholder into ${label}`} data-testid="placeholder-menu">
            <IconBraces size={16} />
          </ActionIcon>
        </Tooltip>
      </Menu.Target>
      <Menu.Dropdown>
        <ScrollArea.Autosize mah={280} type="auto">
          {groups.map((g) => (
            <div key={g.group}>
              <Menu.Label>{g.group}</Menu.Label>
              {g.items.map((item) => (
                <Menu.Item key={item} onClick={() => onPick(item)} ff="monospace" fz="xs">
                  {item}
                </Menu.Item>
              ))}
            </div>
          ))}
        </ScrollArea.Autosize>
      </Menu.Dropdown>
    </Menu>
  );
}

/** `text` with `insert` put where the cursor of `el` is (at the end when it has none). */
function insertAt(el: HTMLInputElement | HTMLTextAreaElement | null, text: string, insert: string): string {
  const at = el?.selectionStart ?? text.length;
  const end = el?.selectionEnd ?? at;
  return text.slice(0, at) + insert + text.slice(end);
}

/** A text input whose right section inserts placeholders. */
export function PlaceholderInput({
  value,
  onChange,
  placeholders,
  label,
  ...rest
}: Omit<TextInputProps, 'value' | 'onChange'> & { value: string; onChange(v: string): void; placeholders: PlaceholderGroups; label: string }) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <TextInput
      ref={ref}
      label={label}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      rightSection={<PlaceholderMenu groups={placeholders} label={label} onPick={(p) => onChange(insertAt(ref.current, value, p))} />}
      {...rest}
    />
  );
}

/**
 * A JSON value edited as text (a body, header map or field values): changes reach `onChange` only
 * when the text parses, and `onValidity` says whether it does, so the builder cannot save a broken one.
 */
export function JsonInput({
  value,
  onChange,
  onValidity,
  placeholders,
  label,
  description,
  testId,
}: {
  value: Json | undefined;
  onChange(v: Json): void;
  onValidity(ok: boolean): void;
  placeholders: PlaceholderGroups;
  label: string;
  description?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState(() => JSON.stringify(value ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => () => onValidity(true), []); // eslint-disable-line react-hooks/exhaustive-deps
  const edit = (next: string) => {
    setText(next);
    try {
      const parsed = JSON.parse(next) as Json;
      setError(null);
      onValidity(true);
      onChange(parsed);
    } catch (e) {
      setError(`Not valid JSON: ${(e as Error).message}`);
      onValidity(false);
    }
  };
  return (
    <Textarea
      ref={ref}
      label={label}
      description={description}
      value={text}
      onChange={(e) => edit(e.currentTarget.value)}
      error={error}
      autosize
      minRows={2}
      maxRows={10}
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
      rightSection={<PlaceholderMenu groups={placeholders} label={label} onPick={(p) => edit(insertAt(ref.current, text, p))} />}
      rightSectionProps={{ style: { alignItems: 'flex-start', paddingTop: 6 } }}
      data-testid={testId}
    />
  );
}

/** A condition's or set_field's value typed as text: numbers, true/false, null and JSON lists are read as such; anything else is a string. */
export function parseLoose(text: string): Json {
  const t = text.trim();
  if (t === '') return '';
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(t) || /^[[{]/.test(t)) {
    try {
      return JSON.parse(t) as Json;
    } catch {
      return text;
    }
  }
  return text;
}

export const showLoose = (value: Json | undefined): string => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
