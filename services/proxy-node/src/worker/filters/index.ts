/**
 * Every filter, in the order they run. Adding one: a file in this folder
 * exporting a FilterFactory, a line here, and its test.
 */
import type { FilterFactory } from './filter.ts';
import { sslRedirect } from './ssl-redirect.ts';
import { bodyLimit } from './body-limit.ts';
import { clientCert } from './client-cert.ts';
import { basicAuth } from './basic-auth.ts';
import { externalAuth } from './external-auth.ts';

export const FILTERS: readonly FilterFactory[] = [sslRedirect, bodyLimit, clientCert, basicAuth, externalAuth].sort((a, b) => a.order - b.order);
