/**
 * The demo APIs: small, deterministic, useful-looking. Every answer is a pure function of the
 * request, so tests and screenshots are stable. Each API lives under its own base path
 * (`/weather`, `/fx`, `/text`), which is the listing's upstream URL; paths in its OpenAPI document
 * are relative to it.
 */

export interface DemoRequest {
  method: string;
  /** Path below the API's base path, e.g. `/current`. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body (POST), or undefined. */
  body: unknown;
}

export interface DemoResponse {
  status: number;
  body: unknown;
}

export interface DemoApi {
  /** Base path segment (no slash): `weather`. */
  base: string;
  document: Record<string, unknown>;
  handle(request: DemoRequest): DemoResponse | null;
}

export function problem(status: number, code: string, detail: string): DemoResponse {
  return { status, body: { error: code, detail } };
}

/** FNV-1a 32-bit: a stable seed from a string. */
export function seed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A deterministic pseudo-random sequence (mulberry32) in [0, 1). */
function sequence(start: number): () => number {
  let state = start;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

const errorSchema = {
  type: 'object',
  required: ['error', 'detail'],
  properties: { error: { type: 'string', examples: ['validation_failed'] }, detail: { type: 'string' } },
};
const badRequest = {
  description: 'Invalid input',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

// ---- Weather Now ---------------------------------------------------------------------------------

const CONDITIONS = [
  'clear',
  'partly cloudy',
  'cloudy',
  'light rain',
  'rain',
  'thunderstorm',
  'snow',
  'fog',
] as const;
const CITY_PATTERN = /^[\p{L}][\p{L} .'-]{0,63}$/u;

function cityParam(query: URLSearchParams): string | DemoResponse {
  const city = query.get('city')?.trim();
  if (!city) return problem(400, 'validation_failed', 'city: required, e.g. ?city=Lisbon');
  if (!CITY_PATTERN.test(city))
    return problem(400, 'validation_failed', 'city: 1–64 letters, spaces, dots, hyphens or apostrophes');
  return city;
}

function weatherFor(
  city: string,
  day: number,
): { tempC: number; humidity: number; windKph: number; condition: string } {
  const next = sequence(seed(`${city.toLowerCase()}#${day}`));
  const base = (seed(city.toLowerCase()) % 30) - 2;
  return {
    tempC: round1(base + next() * 8 - 4),
    humidity: Math.round(30 + next() * 65),
    windKph: round1(next() * 40),
    condition: CONDITIONS[Math.floor(next() * CONDITIONS.length)],
  };
}

const currentExample = {
  city: 'Lisbon',
  tempC: 21.4,
  feelsLikeC: 21.4,
  humidity: 58,
  windKph: 12.3,
  condition: 'clear',
  observedAt: '2026-01-01T12:00:00Z',
};

export const weatherApi: DemoApi = {
  base: 'weather',
  document: {
    openapi: '3.1.0',
    info: {
      title: 'Weather Now',
      version: '1.0.0',
      summary: 'Current conditions and a short forecast for any city.',
      description:
        "Demo API served by Portico's demo upstream. Values are deterministic per city (not real weather).",
    },
    paths: {
      '/current': {
        get: {
          operationId: 'getCurrentWeather',
          summary: 'Current conditions in a city',
          tags: ['weather'],
          parameters: [
            {
              name: 'city',
              in: 'query',
              required: true,
              schema: { type: 'string', minLength: 1, maxLength: 64 },
              example: 'Lisbon',
            },
          ],
          responses: {
            '200': {
              description: 'Current conditions',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Current' },
                  example: currentExample,
                },
              },
            },
            '400': badRequest,
          },
        },
      },
      '/forecast': {
        get: {
          operationId: 'getForecast',
          summary: 'Daily forecast for 1–7 days',
          tags: ['weather'],
          parameters: [
            {
              name: 'city',
              in: 'query',
              required: true,
              schema: { type: 'string', minLength: 1, maxLength: 64 },
              example: 'Lisbon',
            },
            {
              name: 'days',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 7, default: 3 },
            },
          ],
          responses: {
            '200': {
              description: 'The forecast, one entry per day starting today',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Forecast' },
                  example: {
                    city: 'Lisbon',
                    days: [{ day: 0, minC: 15.2, maxC: 23.9, condition: 'clear', precipitationChance: 10 }],
                  },
                },
              },
            },
            '400': badRequest,
          },
        },
      },
    },
    components: {
      schemas: {
        Error: errorSchema,
        Current: {
          type: 'object',
          required: ['city', 'tempC', 'feelsLikeC', 'humidity', 'windKph', 'condition', 'observedAt'],
          properties: {
            city: { type: 'string' },
            tempC: { type: 'number' },
            feelsLikeC: { type: 'number' },
            humidity: { type: 'integer', minimum: 0, maximum: 100 },
            windKph: { type: 'number', minimum: 0 },
            condition: { type: 'string', enum: [...CONDITIONS] },
            observedAt: { type: 'string', format: 'date-time' },
          },
        },
        Forecast: {
          type: 'object',
          required: ['city', 'days'],
          properties: {
            city: { type: 'string' },
            days: {
              type: 'array',
              items: {
                type: 'object',
                required: ['day', 'minC', 'maxC', 'condition', 'precipitationChance'],
                properties: {
                  day: { type: 'integer', minimum: 0, description: '0 = today' },
                  minC: { type: 'number' },
                  maxC: { type: 'number' },
                  condition: { type: 'string', enum: [...CONDITIONS] },
                  precipitationChance: { type: 'integer', minimum: 0, maximum: 100 },
                },
              },
            },
          },
        },
      },
    },
  },
  handle({ method, path, query }) {
    if (method !== 'GET') return null;
    if (path === '/current') {
      const city = cityParam(query);
      if (typeof city !== 'string') return city;
      const now = weatherFor(city, 0);
      const feelsLikeC = round1(now.tempC - (now.windKph > 20 && now.tempC < 15 ? now.windKph / 10 : 0));
      return {
        status: 200,
        body: {
          city,
          tempC: now.tempC,
          feelsLikeC,
          humidity: now.humidity,
          windKph: now.windKph,
          condition: now.condition,
          observedAt: '2026-01-01T12:00:00Z',
        },
      };
    }
    if (path === '/forecast') {
      const city = cityParam(query);
      if (typeof city !== 'string') return city;
      const rawDays = query.get('days') ?? '3';
      if (!/^[1-7]$/.test(rawDays)) return problem(400, 'validation_failed', 'days: an integer from 1 to 7');
      const days = Array.from({ length: Number(rawDays) }, (_, day) => {
        const w = weatherFor(city, day);
        const spread = 3 + (seed(`${city}:${day}`) % 60) / 10;
        return {
          day,
          minC: round1(w.tempC - spread),
          maxC: round1(w.tempC + spread),
          condition: w.condition,
          precipitationChance: Math.min(
            100,
            Math.round(100 - w.humidity / 1.5 + (w.condition.includes('rain') ? 40 : 0)) % 101,
          ),
        };
      });
      return { status: 200, body: { city, days } };
    }
    return null;
  },
};

// ---- Currency Rates ------------------------------------------------------------------------------

/** Units of each currency per 1 USD (fixed demo rates). */
export const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  JPY: 151.2,
  CHF: 0.88,
  CAD: 1.36,
  AUD: 1.52,
  BRL: 5.05,
  INR: 83.1,
  CNY: 7.23,
};
const CURRENCIES = Object.keys(USD_RATES);

function currencyParam(query: URLSearchParams, name: string, fallback?: string): string | DemoResponse {
  const value = (query.get(name) ?? fallback)?.trim().toUpperCase();
  if (!value) return problem(400, 'validation_failed', `${name}: required, one of ${CURRENCIES.join(', ')}`);
  if (!(value in USD_RATES))
    return problem(
      400,
      'validation_failed',
      `${name}: unsupported currency "${value}"; one of ${CURRENCIES.join(', ')}`,
    );
  return value;
}

const rate = (from: string, to: string): number => Number((USD_RATES[to] / USD_RATES[from]).toPrecision(6));
const currencySchema = { type: 'string', enum: CURRENCIES };

export const fxApi: DemoApi = {
  base: 'fx',
  document: {
    openapi: '3.1.0',
    info: {
      title: 'Currency Rates',
      version: '1.0.0',
      summary: 'Exchange rates and conversions for ten major currencies.',
      description:
        "Demo API served by Portico's demo upstream. Rates are fixed demo values, not market data.",
    },
    paths: {
      '/latest': {
        get: {
          operationId: 'getLatestRates',
          summary: 'Latest rates against a base currency',
          tags: ['rates'],
          parameters: [
            { name: 'base', in: 'query', required: false, schema: { ...currencySchema, default: 'USD' } },
          ],
          responses: {
            '200': {
              description: 'Rates: units of each currency per one unit of base',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Rates' },
                  example: { base: 'USD', date: '2026-01-01', rates: { EUR: 0.92, GBP: 0.79 } },
                },
              },
            },
            '400': badRequest,
          },
        },
      },
      '/convert': {
        get: {
          operationId: 'convert',
          summary: 'Convert an amount between two currencies',
          tags: ['rates'],
          parameters: [
            { name: 'from', in: 'query', required: true, schema: currencySchema, example: 'USD' },
            { name: 'to', in: 'query', required: true, schema: currencySchema, example: 'EUR' },
            {
              name: 'amount',
              in: 'query',
              required: true,
              schema: { type: 'number', exclusiveMinimum: 0, maximum: 1e12 },
              example: 100,
            },
          ],
          responses: {
            '200': {
              description: 'The converted amount',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Conversion' },
                  example: {
                    from: 'USD',
                    to: 'EUR',
                    amount: 100,
                    rate: 0.92,
                    result: 92,
                    date: '2026-01-01',
                  },
                },
              },
            },
            '400': badRequest,
          },
        },
      },
    },
    components: {
      schemas: {
        Error: errorSchema,
        Rates: {
          type: 'object',
          required: ['base', 'date', 'rates'],
          properties: {
            base: currencySchema,
            date: { type: 'string', format: 'date' },
            rates: { type: 'object', additionalProperties: { type: 'number' } },
          },
        },
        Conversion: {
          type: 'object',
          required: ['from', 'to', 'amount', 'rate', 'result', 'date'],
          properties: {
            from: currencySchema,
            to: currencySchema,
            amount: { type: 'number' },
            rate: { type: 'number' },
            result: { type: 'number' },
            date: { type: 'string', format: 'date' },
          },
        },
      },
    },
  },
  handle({ method, path, query }) {
    if (method !== 'GET') return null;
    if (path === '/latest') {
      const base = currencyParam(query, 'base', 'USD');
      if (typeof base !== 'string') return base;
      const rates = Object.fromEntries(CURRENCIES.filter((c) => c !== base).map((c) => [c, rate(base, c)]));
      return { status: 200, body: { base, date: '2026-01-01', rates } };
    }
    if (path === '/convert') {
      const from = currencyParam(query, 'from');
      if (typeof from !== 'string') return from;
      const to = currencyParam(query, 'to');
      if (typeof to !== 'string') return to;
      const rawAmount = query.get('amount') ?? '';
      const amount = /^\d{1,13}(\.\d{1,6})?$/.test(rawAmount) ? Number(rawAmount) : NaN;
      if (!(amount > 0 && amount <= 1e12))
        return problem(
          400,
          'validation_failed',
          'amount: a positive decimal number up to 1e12, e.g. 100 or 19.99',
        );
      const r = rate(from, to);
      return {
        status: 200,
        body: { from, to, amount, rate: r, result: Math.round(amount * r * 100) / 100, date: '2026-01-01' },
      };
    }
    return null;
  },
};

// ---- Text Tools ----------------------------------------------------------------------------------

const MAX_TEXT = 100_000;

function textBody(body: unknown): string | DemoResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return problem(400, 'validation_failed', 'body: a JSON object {"text": "..."}');
  }
  const text = (body as Record<string, unknown>).text;
  if (typeof text !== 'string') return problem(400, 'validation_failed', 'text: required, a string');
  if (text.length > MAX_TEXT)
    return problem(400, 'validation_failed', `text: at most ${MAX_TEXT} characters`);
  return text;
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200)
    .replace(/-+$/, '');
}

const textInput = {
  required: true,
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/TextInput' },
      example: { text: 'Hello, Wörld! Portico makes APIs easy.' },
    },
  },
};

export const textApi: DemoApi = {
  base: 'text',
  document: {
    openapi: '3.1.0',
    info: {
      title: 'Text Tools',
      version: '1.0.0',
      summary: 'Slugs and statistics for any text.',
      description: "Demo API served by Portico's demo upstream: JSON in, JSON out.",
    },
    paths: {
      '/slugify': {
        post: {
          operationId: 'slugify',
          summary: 'A URL slug for a text',
          tags: ['text'],
          requestBody: textInput,
          responses: {
            '200': {
              description: 'The slug',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Slug' },
                  example: { slug: 'hello-world-portico-makes-apis-easy' },
                },
              },
            },
            '400': badRequest,
          },
        },
      },
      '/stats': {
        post: {
          operationId: 'textStats',
          summary: 'Characters, words, sentences and reading time',
          tags: ['text'],
          requestBody: textInput,
          responses: {
            '200': {
              description: 'Statistics',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Stats' },
                  example: { characters: 38, words: 6, sentences: 2, readingTimeSeconds: 2 },
                },
              },
            },
            '400': badRequest,
          },
        },
      },
    },
    components: {
      schemas: {
        Error: errorSchema,
        TextInput: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', maxLength: MAX_TEXT } },
        },
        Slug: { type: 'object', required: ['slug'], properties: { slug: { type: 'string' } } },
        Stats: {
          type: 'object',
          required: ['characters', 'words', 'sentences', 'readingTimeSeconds'],
          properties: {
            characters: { type: 'integer', minimum: 0 },
            words: { type: 'integer', minimum: 0 },
            sentences: { type: 'integer', minimum: 0 },
            readingTimeSeconds: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
  },
  handle({ method, path, body }) {
    if (method !== 'POST') return null;
    if (path === '/slugify') {
      const text = textBody(body);
      if (typeof text !== 'string') return text;
      return { status: 200, body: { slug: slugify(text) } };
    }
    if (path === '/stats') {
      const text = textBody(body);
      if (typeof text !== 'string') return text;
      const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)?.length ?? 0;
      const sentences = text.split(/[.!?]+(?:\s|$)/).filter((s) => /[\p{L}\p{N}]/u.test(s)).length;
      return {
        status: 200,
        body: {
          characters: [...text].length,
          words,
          sentences,
          readingTimeSeconds: Math.ceil((words / 230) * 60),
        },
      };
    }
    return null;
  },
};

export const DEMO_APIS: readonly DemoApi[] = [weatherApi, fxApi, textApi];
