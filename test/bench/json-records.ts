/**
 * Realistic JSON record values for the bench's small JSON scenarios: e-commerce order events
 * of about 1 KB, the kind of small JSON most producers send, so that the codecs have text
 * of a realistic redundancy to work on (repeated keys and enums, a product catalogue, a
 * customer base, user agents) beside fields that do not compress (ids, hashes, timestamps).
 *
 * Deterministic: `jsonRecord(seed, index)` is the same string on every machine and run. Each
 * record draws from a small PRNG (mulberry32) seeded by a hash of (seed, index); customers
 * are a fixed pool drawn from by index, each built from its own seeded PRNG; event times
 * increase with the index. Nothing here calls Math.random.
 */

/** The generator's default seed. */
export const defaultJsonSeed = 20_261_125;

/** 2026-03-02T08:00:00Z: the first event's time; later events follow at about 4 per second. */
const firstEventMs = Date.UTC(2026, 2, 2, 8, 0, 0);
const meanEventGapMs = 250;
const customerPool = 20_000;

/** A 32-bit integer hash (murmur3's finalizer): spreads neighbouring inputs apart. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; plenty for test data. */
class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `weighted([['a', 3], ['b', 1]])` is 'a' three times in four. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1]![0];
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += (this.int(0, 0xffff) | 0x10000).toString(16).slice(1);
    return out.slice(0, chars);
  }

  /** A version 4 UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = '89ab'[this.int(0, 3)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

const prngFor = (seed: number, stream: number, index: number): Prng => new Prng(mix32(mix32(seed ^ stream) ^ mix32(index + 0x9e3779b9)));

// --- the fixed vocabulary --------------------------------------------------------------

const eventTypes: ReadonlyArray<readonly [string, number]> = [
  ['order.created', 30],
  ['order.paid', 25],
  ['order.packed', 15],
  ['order.shipped', 14],
  ['order.delivered', 10],
  ['order.cancelled', 4],
  ['order.refunded', 2],
];

const catalogue: ReadonlyArray<{ sku: string; name: string; unitPrice: number }> = [
  { sku: 'HOME-10021', name: 'Stainless Steel Water Bottle 750ml', unitPrice: 24.99 },
  { sku: 'HOME-10057', name: 'Bamboo Cutting Board Set (3 pieces)', unitPrice: 34.5 },
  { sku: 'HOME-10112', name: 'Cast Iron Skillet 26cm', unitPrice: 42.0 },
  { sku: 'HOME-10240', name: 'Ceramic Pour-Over Coffee Dripper', unitPrice: 19.95 },
  { sku: 'HOME-10318', name: 'Linen Tea Towels, Pack of 4', unitPrice: 16.8 },
  { sku: 'ELEC-20004', name: 'Wireless Noise-Cancelling Headphones', unitPrice: 189.0 },
  { sku: 'ELEC-20019', name: 'USB-C Charging Cable 2m, Braided', unitPrice: 12.99 },
  { sku: 'ELEC-20033', name: 'Portable Bluetooth Speaker, Waterproof', unitPrice: 59.9 },
  { sku: 'ELEC-20078', name: 'Mechanical Keyboard, Brown Switches', unitPrice: 109.0 },
  { sku: 'ELEC-20105', name: 'Smart LED Bulb E27, 2-Pack', unitPrice: 27.49 },
  { sku: 'ELEC-20151', name: '10,000 mAh Power Bank with Fast Charge', unitPrice: 34.99 },
  { sku: 'APRL-30012', name: "Men's Merino Crew Neck Sweater, Navy", unitPrice: 79.0 },
  { sku: 'APRL-30046', name: "Women's Trail Running Shoes", unitPrice: 124.95 },
  { sku: 'APRL-30081', name: 'Organic Cotton T-Shirt, White', unitPrice: 22.0 },
  { sku: 'APRL-30109', name: 'Waterproof Rain Jacket, Unisex', unitPrice: 149.0 },
  { sku: 'APRL-30144', name: 'Wool Hiking Socks, 3 Pairs', unitPrice: 29.85 },
  { sku: 'BOOK-40003', name: 'Designing Data-Intensive Applications', unitPrice: 45.99 },
  { sku: 'BOOK-40027', name: 'The Pragmatic Programmer, 20th Anniversary Edition', unitPrice: 39.95 },
  { sku: 'BOOK-40058', name: 'A Field Guide to Garden Birds', unitPrice: 18.5 },
  { sku: 'TOYS-50011', name: 'Wooden Marble Run, 60 Pieces', unitPrice: 54.0 },
  { sku: 'TOYS-50039', name: 'Building Bricks Starter Box', unitPrice: 31.99 },
  { sku: 'GRDN-60008', name: 'Ergonomic Hand Trowel', unitPrice: 14.25 },
  { sku: 'GRDN-60022', name: 'Self-Watering Herb Planter', unitPrice: 38.0 },
  { sku: 'GRDN-60047', name: 'Solar Garden Lights, Set of 8', unitPrice: 44.9 },
  { sku: 'BEAU-70015', name: 'Vitamin C Face Serum 30ml', unitPrice: 27.0 },
  { sku: 'BEAU-70030', name: 'Bamboo Toothbrushes, Pack of 6', unitPrice: 9.99 },
  { sku: 'SPRT-80006', name: 'Yoga Mat 6mm, Non-Slip', unitPrice: 36.0 },
  { sku: 'SPRT-80024', name: 'Adjustable Dumbbells 2 x 10kg', unitPrice: 129.0 },
  { sku: 'SPRT-80051', name: 'Insulated Cycling Bottle 600ml', unitPrice: 15.5 },
  { sku: 'FOOD-90002', name: 'Single-Origin Coffee Beans 1kg, Medium Roast', unitPrice: 32.0 },
  { sku: 'FOOD-90019', name: 'Extra Virgin Olive Oil 1L', unitPrice: 17.9 },
  { sku: 'FOOD-90033', name: 'Dark Chocolate Selection Box', unitPrice: 24.0 },
];

const firstNames = [
  'Ana', 'Liam', 'Sofia', 'Noah', 'Mia', 'Lucas', 'Emma', 'Mateo', 'Olivia', 'Hugo', 'Chloe', 'Leon', 'Amira', 'Yuki', 'Priya',
  'Jonas', 'Elena', 'Omar', 'Ines', 'Felix', 'Zoe', 'Arjun', 'Lena', 'Tomas', 'Nora', 'Kenji', 'Julia', 'Malik', 'Sara', 'Pablo',
];
const lastNames = [
  'Silva', 'Smith', 'Muller', 'Rossi', 'Dubois', 'Garcia', 'Jansen', 'Nowak', 'Kowalski', 'Tanaka', 'Patel', 'Andersson', 'Novak',
  'Martin', 'Fischer', 'Romano', 'Lopez', 'Bernard', 'Kim', 'Costa', 'Schmidt', 'Moreau', 'Nielsen', 'Haddad', 'Ferreira',
];
const emailDomains = ['example.com', 'mail.example.org', 'example.net', 'inbox.example.com', 'example.co.uk'];
const tiers: ReadonlyArray<readonly [string, number]> = [
  ['standard', 70],
  ['silver', 18],
  ['gold', 9],
  ['platinum', 3],
];

interface Place {
  readonly country: string;
  readonly currency: string;
  readonly cities: ReadonlyArray<readonly [string, string]>;
  readonly streets: readonly string[];
}

const places: readonly Place[] = [
  { country: 'US', currency: 'USD', cities: [['Portland', '97205'], ['Austin', '78701'], ['Chicago', '60607'], ['Denver', '80202']], streets: ['Oak Street', 'Maple Avenue', 'Lakeview Drive', 'Main Street'] },
  { country: 'GB', currency: 'GBP', cities: [['London', 'N1 9GU'], ['Manchester', 'M1 4BT'], ['Bristol', 'BS1 5TR']], streets: ['High Street', 'Station Road', 'Church Lane'] },
  { country: 'DE', currency: 'EUR', cities: [['Berlin', '10115'], ['Hamburg', '20095'], ['Munich', '80331']], streets: ['Hauptstrasse', 'Bahnhofstrasse', 'Gartenweg'] },
  { country: 'FR', currency: 'EUR', cities: [['Paris', '75011'], ['Lyon', '69002'], ['Nantes', '44000']], streets: ['Rue de la Paix', 'Avenue Victor Hugo', 'Rue des Lilas'] },
  { country: 'PT', currency: 'EUR', cities: [['Lisbon', '1100-148'], ['Porto', '4000-322']], streets: ['Rua Augusta', 'Avenida da Liberdade'] },
  { country: 'JP', currency: 'JPY', cities: [['Tokyo', '150-0002'], ['Osaka', '530-0001']], streets: ['Shibuya 2-chome', 'Umeda 1-chome'] },
];

const payments: ReadonlyArray<readonly [{ readonly method: string; readonly brand?: string }, number]> = [
  [{ method: 'card', brand: 'visa' }, 40],
  [{ method: 'card', brand: 'mastercard' }, 30],
  [{ method: 'card', brand: 'amex' }, 6],
  [{ method: 'paypal' }, 16],
  [{ method: 'apple-pay' }, 8],
];

const shippingMethods: ReadonlyArray<readonly [string, number]> = [
  ['standard', 60],
  ['express', 25],
  ['next-day', 10],
  ['pickup-point', 5],
];

const clients: ReadonlyArray<{ app: string; versions: readonly string[]; userAgents: readonly string[] }> = [
  {
    app: 'web-storefront',
    versions: ['2026.02.3', '2026.02.4', '2026.03.1'],
    userAgents: [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15',
      'Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.0.0',
    ],
  },
  {
    app: 'ios-app',
    versions: ['7.14.0', '7.14.1', '7.15.0'],
    userAgents: ['ShopApp/7.14.1 (iPhone15,3; iOS 18.3.1; Scale/3.00) CFNetwork/1568.100.1 Darwin/24.0.0', 'ShopApp/7.15.0 (iPhone14,2; iOS 18.2; Scale/3.00) CFNetwork/1568.100.1 Darwin/24.0.0'],
  },
  {
    app: 'android-app',
    versions: ['7.13.2', '7.14.0'],
    userAgents: ['ShopApp/7.14.0 (Linux; Android 15; Pixel 8 Build/AP4A.250205.002) okhttp/4.12.0', 'ShopApp/7.13.2 (Linux; Android 14; SM-S918B Build/UP1A.231005.007) okhttp/4.12.0'],
  },
];

interface Customer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly tier: string;
  readonly place: Place;
  readonly city: readonly [string, string];
  readonly line1: string;
}

/** Customer `n` of the pool: the same every time it places an order. */
function customer(seed: number, n: number): Customer {
  const r = prngFor(seed, 0xc057, n);
  const first = r.pick(firstNames);
  const last = r.pick(lastNames);
  const place = r.pick(places);
  return {
    id: `cus_${r.hex(14)}`,
    name: `${first} ${last}`,
    email: `${first}.${last}${r.int(1, 99)}@${r.pick(emailDomains)}`.toLowerCase(),
    tier: r.weighted(tiers),
    place,
    city: r.pick(place.cities),
    line1: `${r.int(1, 240)} ${r.pick(place.streets)}`,
  };
}

const money = (n: number): number => Math.round(n * 100) / 100;

/** Record `index` for `seed`: about 1 KB of JSON (between about 850 and 1,300 bytes). */
export function jsonRecord(seed: number, index: number): string {
  const r = prngFor(seed, 0xe4e7, index);
  const c = customer(seed, r.int(0, customerPool - 1));
  const lines = r.weighted([
    [1, 55],
    [2, 30],
    [3, 15],
  ] as const);
  const items = Array.from({ length: lines }, () => {
    const product = r.pick(catalogue);
    return { sku: product.sku, name: product.name, quantity: r.weighted([[1, 70], [2, 20], [3, 7], [4, 3]] as const), unitPrice: product.unitPrice };
  });
  const subtotal = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
  const shippingFee = subtotal >= 50 ? 0 : 4.95;
  const app = r.pick(clients);
  const payment = r.weighted(payments);
  const event = {
    eventId: r.uuid(),
    type: r.weighted(eventTypes),
    occurredAt: new Date(firstEventMs + index * meanEventGapMs + r.int(0, meanEventGapMs - 1)).toISOString(),
    schemaVersion: 3,
    orderId: `ORD-${String(4_000_000 + Math.floor(index / 3) + r.int(0, 40)).padStart(9, '0')}`,
    customer: { id: c.id, name: c.name, email: c.email, tier: c.tier },
    items,
    shippingFee,
    total: money(subtotal + shippingFee),
    currency: c.place.currency,
    payment: { ...payment, ...(payment.brand ? { last4: String(r.int(0, 9999)).padStart(4, '0') } : {}) },
    shipping: {
      name: c.name,
      line1: c.line1,
      city: c.city[0],
      postalCode: c.city[1],
      country: c.place.country,
      method: r.weighted(shippingMethods),
    },
    client: {
      app: app.app,
      version: r.pick(app.versions),
      userAgent: r.pick(app.userAgents),
      ip: `${r.pick(['203.0.113', '198.51.100', '192.0.2', '100.64.12', '172.20.31'])}.${r.int(1, 254)}`,
      sessionId: r.hex(32),
    },
    trace: { traceId: r.hex(32), spanId: r.hex(16) },
  };
  return JSON.stringify(event);
}

/** The smallest record count, in whole sends of `perSend`, whose values add up to at least `bytes`. */
export function jsonRecordsFor(seed: number, bytes: number, perSend: number): { records: number; valueBytes: number } {
  let records = 0;
  let valueBytes = 0;
  while (valueBytes < bytes || records % perSend !== 0) valueBytes += Buffer.byteLength(jsonRecord(seed, records++));
  return { records, valueBytes };
}
