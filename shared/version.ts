/** Version of the CRM feature's contract (`GET /crm` → `version`, `crm.addon.info`, OpenAPI `info.version`). */
export const CRM_VERSION = '1';
