/**
 * Controls gated by a permission (hooks/usePermissions.ts). What may not be done is either not
 * rendered at all or rendered disabled with the reason as tooltip and aria-description:
 *
 * - `PermittedButton`: a Mantine Button; when denied it stays focusable but inert (aria-disabled),
 *   so the tooltip saying why can show.
 * - `LockedFields`: a fieldset that disables every field in it when denied, keeps them legible,
 *   and says why in its legend.
 * - `deniedProps(permission)`: the same inert, explained state for any other button-like element.
 */
import type { ComponentPropsWithoutRef, MouseEvent, ReactNode } from 'react';
import { Button, Tooltip, type ButtonProps } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import type { Permission } from '../lib/permissions.js';
import classes from './Permitted.module.css';

const inert = (event: MouseEvent) => {
  event.preventDefault();
  event.stopPropagation();
};

/** Props that make a button-like element inert and say why (empty when allowed). */
export function deniedProps(permission: Permission): Record<string, unknown> {
  if (permission.allowed) return {};
  return { 'aria-disabled': true, 'aria-description': permission.reason, 'data-disabled': true, onClick: inert };
}

type PermittedButtonProps = ButtonProps & Omit<ComponentPropsWithoutRef<'button'>, keyof ButtonProps> & { permission: Permission };

export function PermittedButton({ permission, ...props }: PermittedButtonProps) {
  if (permission.allowed) return <Button {...props} />;
  return (
    <Tooltip label={permission.reason}>
      <Button {...props} type="button" loading={false} {...deniedProps(permission)} />
    </Tooltip>
  );
}

export function LockedFields({ permission, children }: { permission: Permission; children: ReactNode }) {
  return (
    <fieldset disabled={!permission.allowed} className={classes.fields} data-permission-reason={permission.reason ?? undefined}>
      {!permission.allowed && (
        <legend className={classes.notice} data-testid="locked-notice">
          <IconLock size={14} aria-hidden />
          {permission.reason}
        </legend>
      )}
      {children}
    </fieldset>
  );
}
