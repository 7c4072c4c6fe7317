/**
 * Tells zod not to compile validators with `new Function`. The meeting page's
 * CSP forbids eval, and zod's probe for it (made when a schema is built) is
 * reported by Firefox as a CSP violation even though zod catches it. Validation
 * is the same either way. Imported first by the page, before any schema exists.
 */
import { z } from 'zod';

z.config({ jitless: true });
