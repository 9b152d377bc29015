/**
 * Every filter, in the order they run. Adding one: a file in this folder
 * exporting a FilterFactory, a line here, and its test.
 */
import type { FilterFactory } from './filter.ts';
import { sslRedirect } from './ssl-redirect.ts';
import { bodyLimit } from './body-limit.ts';
import { ipAccess } from './ip-access.ts';
import { rateLimit } from './rate-limit.ts';
import { cors } from './cors.ts';
import { headerRewrite } from './header-rewrite.ts';

export const FILTERS: readonly FilterFactory[] = [sslRedirect, bodyLimit, ipAccess, rateLimit, cors, headerRewrite].sort((a, b) => a.order - b.order);
