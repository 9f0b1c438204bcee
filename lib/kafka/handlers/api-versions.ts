/** ApiVersions: the versions of each API this gateway serves (the dispatcher answers an unsupported version itself). */
import { apiHandler } from '../handler.ts';
import { ApiVersions } from '../protocol/index.ts';

export const apiVersionsHandler = apiHandler({
  api: ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  handle: async (_request, _version, { served }) => ({ errorCode: 0, apiKeys: served }),
});
