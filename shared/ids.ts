import { v7 as uuidv7, validate, version } from 'uuid';

/** New record id: UUIDv7, time-ordered, safe to create on any client (offline too). */
export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return validate(value) && [4, 7].includes(version(value));
}
