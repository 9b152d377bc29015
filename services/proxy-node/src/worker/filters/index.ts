/**
 * Every filter, in the order they run. Adding one: a file in this folder
 * exporting a FilterFactory, a line here, and its test.
 *
 * The order (FilterFactory.order): ip-access 50, rate-limit 60, cors 70,
 * header-rewrite 80, ssl-redirect 100, body-limit 200, client-cert 300,
 * basic-auth 400, external-auth 500. Cheap refusals that need no credentials
 * come first; CORS sits below every authentication filter so a preflight
 * (which browsers send without credentials) is answered before one asks
 * for them; basic auth before external auth so a wrong password costs no
 * subrequest. Response filters run in the same order.
 */
import type { FilterFactory } from './filter.ts';
import { sslRedirect } from './ssl-redirect.ts';
import { bodyLimit } from './body-limit.ts';
import { ipAccess } from './ip-access.ts';
import { rateLimit } from './rate-limit.ts';
import { cors } from './cors.ts';
import { headerRewrite } from './header-rewrite.ts';
import { clientCert } from './client-cert.ts';
import { basicAuth } from './basic-auth.ts';
import { externalAuth } from './external-auth.ts';

export const FILTERS: readonly FilterFactory[] = [
  sslRedirect, bodyLimit, ipAccess, rateLimit, cors, headerRewrite, clientCert, basicAuth, externalAuth,
].sort((a, b) => a.order - b.order);
