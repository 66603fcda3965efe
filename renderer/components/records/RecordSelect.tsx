/**
 * A searchable deal picker fed from the local store: deals are searched by title as you type
 * (a limited query, never all of them), like the organization/person pickers in components/pickers.
 */
import type { SelectProps } from '@mantine/core';
import type { DealRecord } from '../../../shared/schemas.js';
import { RecordPicker } from '../pickers.js';

type PickerProps = Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable' | 'searchValue' | 'onSearchChange' | 'filter'> & {
  value: string | null;
  onChange: (id: string | null) => void;
};

export function DealSelect(props: PickerProps) {
  return <RecordPicker collection="deals" labelField="title" describe={(r: DealRecord) => r.status} placeholder="Search deals" {...props} />;
}
