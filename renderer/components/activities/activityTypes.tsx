/** Display metadata per activity type: name, verb, icon and color. */
import { IconCalendarEvent, IconChecklist, IconMail, IconNote, IconPhone } from '@tabler/icons-react';
import type { ComponentType } from 'react';
import { ACTIVITY_TYPES } from '../../../shared/schemas.js';

export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface ActivityTypeInfo {
  type: ActivityType;
  label: string;
  /** button text in the composer */
  action: string;
  color: string;
  icon: ComponentType<{ size?: number | string; stroke?: number }>;
  subjectPlaceholder: string;
}

export const ACTIVITY_TYPE_INFO: Record<ActivityType, ActivityTypeInfo> = {
  note: { type: 'note', label: 'Note', action: 'Add note', color: 'gray', icon: IconNote, subjectPlaceholder: 'What is worth remembering?' },
  call: { type: 'call', label: 'Call', action: 'Log call', color: 'teal', icon: IconPhone, subjectPlaceholder: 'e.g. Intro call about pricing' },
  email: { type: 'email', label: 'Email', action: 'Log email', color: 'blue', icon: IconMail, subjectPlaceholder: 'Email subject' },
  meeting: { type: 'meeting', label: 'Meeting', action: 'Log meeting', color: 'grape', icon: IconCalendarEvent, subjectPlaceholder: 'e.g. Demo with the buying team' },
  follow_up: { type: 'follow_up', label: 'Follow-up', action: 'Add follow-up', color: 'orange', icon: IconChecklist, subjectPlaceholder: 'What needs doing? e.g. Send the proposal' },
};

export function activityTypeInfo(type: string): ActivityTypeInfo {
  return ACTIVITY_TYPE_INFO[type as ActivityType] ?? ACTIVITY_TYPE_INFO.note;
}

export function isOverdue(a: { type: string; dueAt: string | null; completedAt: string | null }, now = Date.now()): boolean {
  return a.type === 'follow_up' && !a.completedAt && !!a.dueAt && Date.parse(a.dueAt) < now;
}
