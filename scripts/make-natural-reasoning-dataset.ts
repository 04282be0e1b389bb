/**
 * Writes datasets/natural-reasoning/: short web-style passages in DCLM's record format (text, url,
 * WARC metadata), some with reasoning (worked explanations, arguments, derivations) and some without
 * (listings, notices, announcements), in English and in eight other languages. Written for this
 * project; every record also carries `synthetic_labels` (language, reasoning, kind) so filters can be
 * checked against what the generator meant.
 *
 * Where you are: `scripts/`, developer tooling. Deterministic (a seeded mulberry32 generator):
 * npx tsx scripts/make-natural-reasoning-dataset.ts rewrites passages.jsonl byte for byte, and
 * passages.jsonl.zst from it with the `zstd` command (Debian `zstd`, level 19); the compressed bytes
 * depend on the zstd version, their content does not.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { seededRandom } from "./seeded-random.js";

const { random, int, pick, shuffle } = seededRandom(20261202);
/** Some of the optional sentences, in their order: pages differ in what they bother to say. */
const some = (sentences: string[], min: number): string[] =>
  sentences.filter((_, index) => index < min || random() < 0.6);
const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(0, 15)]).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[int(0, 3)]}${hex(3)}-${hex(12)}`;
const fmt = (value: number, decimals = 2) => value.toFixed(decimals).replace(/\.?0+$/, "");

interface Passage {
  text: string;
  language: string;
  reasoning: boolean;
  kind: string;
  site: string;
  slug: string;
}

// ------------------------------------------------------------------ English, with reasoning
function englishReasoning(): Passage[] {
  const out: Passage[] = [];
  const add = (kind: string, site: string, slug: string, sentences: string[]) =>
    out.push({ text: sentences.join(" "), language: "en", reasoning: true, kind, site, slug });

  for (let i = 0; i < 10; i++) {
    const price = int(40, 400);
    const first = pick([10, 15, 20, 25, 30]);
    const second = pick([5, 10, 15, 20]);
    const final = price * (1 - first / 100) * (1 - second / 100);
    const naive = price * (1 - (first + second) / 100);
    add("worked-example", "dealwatch-forum.example", `stacked-discounts-${i}`, [
      pick([
        "Quick question about stacking coupons.",
        "Can someone check my math on this sale?",
        "Saw this at the outlet today.",
      ]),
      `A coat is listed at $${price}, the store takes ${first}% off, and then my member coupon takes another ${second}% off at the register.`,
      `My friend says that is ${first + second}% off in total, so $${fmt(naive)}.`,
      `That is not right, because the second discount applies to the already reduced price, not to the original one.`,
      `After the first discount the coat costs ${price} × ${fmt(1 - first / 100)} = $${fmt(price * (1 - first / 100))}.`,
      `The coupon then removes ${second}% of that, so the final price is $${fmt(price * (1 - first / 100))} × ${fmt(1 - second / 100)} = $${fmt(final)}.`,
      `The combined discount is therefore ${fmt(100 - (final / price) * 100, 1)}%, a little less than ${first + second}%.`,
      ...some(
        [
          `In general, two discounts of a% and b% combine to a + b − ab/100 percent, which is why stacking always gives slightly less than the sum.`,
        ],
        0,
      ),
    ]);
  }
  for (let i = 0; i < 10; i++) {
    const out1 = int(30, 90);
    const back = int(out1 + 10, 130);
    const avg = (2 * out1 * back) / (out1 + back);
    add("worked-example", "puzzle-corner.example", `average-speed-${i}`, [
      `Here is a classic that trips people up.`,
      `You drive to a town at ${out1} km/h and return along the same road at ${back} km/h. What is your average speed for the round trip?`,
      `The tempting answer is the simple average, ${fmt((out1 + back) / 2, 1)} km/h, but it is wrong because you spend more time at the slower speed.`,
      `Call the one-way distance d. The trip out takes d/${out1} hours and the trip back takes d/${back} hours.`,
      `Average speed is total distance over total time, so it is 2d divided by (d/${out1} + d/${back}).`,
      `The d cancels, leaving 2 × ${out1} × ${back} / (${out1} + ${back}) = ${fmt(avg, 1)} km/h.`,
      ...some(
        [
          `This is the harmonic mean of the two speeds, and it is always at most the arithmetic mean.`,
          `Try it with a distance of 120 km and you get the same result.`,
        ],
        0,
      ),
    ]);
  }
  for (let i = 0; i < 10; i++) {
    const prevalence = pick([1, 2, 0.5, 5]);
    const sensitivity = pick([90, 95, 99]);
    const falsePositive = pick([5, 8, 10, 3]);
    const population = 10000;
    const sick = (population * prevalence) / 100;
    const truePos = (sick * sensitivity) / 100;
    const falsePos = ((population - sick) * falsePositive) / 100;
    add("argument", "stats-explained.example", `base-rates-${i}`, [
      `Why a positive test result is often less alarming than it sounds.`,
      `Suppose a condition affects ${prevalence}% of people, the test catches ${sensitivity}% of real cases, and it wrongly flags ${falsePositive}% of healthy people.`,
      `Picture ${population.toLocaleString("en-US")} people: about ${fmt(sick, 0)} have the condition and ${fmt(population - sick, 0)} do not.`,
      `The test correctly flags ${fmt(truePos, 0)} of the sick, but it also flags ${fmt(falsePos, 0)} healthy people.`,
      `So out of ${fmt(truePos + falsePos, 0)} positive results, only ${fmt(truePos, 0)} are real, which is ${fmt((truePos / (truePos + falsePos)) * 100, 1)}%.`,
      `The low base rate means false positives outnumber true ones, even though the test itself is accurate.`,
      ...some(
        [
          `This is Bayes' theorem at work, and it is the reason doctors confirm a surprising result with a second test.`,
        ],
        0,
      ),
    ]);
  }
  for (let i = 0; i < 9; i++) {
    const workersA = int(3, 8);
    const daysA = int(6, 20);
    const workersB = workersA + int(1, 6);
    add("worked-example", "homework-help.example", `work-rate-${i}`, [
      `Student question: ${workersA} painters finish a job in ${daysA} days. How long would ${workersB} painters take, working at the same rate?`,
      `First find the total amount of work: ${workersA} painters × ${daysA} days = ${workersA * daysA} painter-days.`,
      `That amount stays fixed no matter how many people share it, as long as everyone works equally fast.`,
      `With ${workersB} painters the job therefore takes ${workersA * daysA} / ${workersB} = ${fmt((workersA * daysA) / workersB, 2)} days.`,
      `More workers means fewer days, so the quantities are inversely proportional, not directly proportional.`,
      ...some(
        [`In practice coordination overhead would make it a bit slower, but the idealised answer is the one above.`],
        0,
      ),
    ]);
  }
  for (let i = 0; i < 9; i++) {
    const principal = int(5, 50) * 1000;
    const rate = pick([3, 4, 5, 6, 7]);
    const years = pick([6, 9, 12, 18, 24]);
    const rule = 72 / rate;
    const actual = Math.log(2) / Math.log(1 + rate / 100);
    add("worked-example", "personal-finance-notes.example", `rule-of-72-${i}`, [
      `How long does it take to double $${principal.toLocaleString("en-US")} at ${rate}% a year?`,
      `The rule of 72 says to divide 72 by the interest rate, which gives ${fmt(rule, 1)} years.`,
      `It works because doubling means (1 + r)^t = 2, so t = ln 2 / ln(1 + r), and for small r the logarithm ln(1 + r) is close to r.`,
      `For ${rate}% the exact answer is ln 2 / ln ${fmt(1 + rate / 100, 2)} = ${fmt(actual, 2)} years, so the shortcut is off by only ${fmt(Math.abs(actual - rule), 2)} years.`,
      `After ${years} years the money would grow to $${Math.round(principal * (1 + rate / 100) ** years).toLocaleString("en-US")}.`,
      ...some([`The rule gets worse at high rates, where 69 or 70 divided by the rate is a better guide.`], 0),
    ]);
  }
  const science: Array<[string, string[]]> = [
    [
      "why-ice-floats",
      [
        "Why does ice float on water when most solids sink in their own liquid?",
        "When water freezes, hydrogen bonds lock the molecules into an open hexagonal lattice.",
        "That lattice takes up about nine percent more volume than the same molecules in liquid water.",
        "Since the mass stays the same while the volume grows, the density of ice is lower, roughly 0.92 g/cm³.",
        "An object floats when it is less dense than the fluid around it, so ice floats.",
        "This matters for lakes: the ice forms an insulating lid, and the water below stays liquid all winter.",
      ],
    ],
    [
      "seasons",
      [
        "A common misconception is that summer happens because Earth is closer to the Sun.",
        "If that were true, both hemispheres would have summer at the same time, but they have opposite seasons.",
        "In fact Earth is closest to the Sun in early January, during the northern winter.",
        "The real cause is the 23.4 degree tilt of Earth's axis.",
        "When a hemisphere leans toward the Sun, sunlight strikes it more directly and the days are longer, so it receives more energy per square metre.",
        "Six months later the same hemisphere leans away, the light arrives at a low angle, and it gets winter.",
      ],
    ],
    [
      "boiling-altitude",
      [
        "Why does pasta take longer to cook in the mountains?",
        "Water boils when its vapour pressure equals the pressure of the air above it.",
        "Air pressure drops with altitude, so at 3,000 metres water reaches that point at about 90 °C instead of 100 °C.",
        "The water is boiling, but it is cooler than boiling water at sea level.",
        "Cooking speed depends on temperature, not on bubbling, so food cooks more slowly.",
        "A pressure cooker fixes this by raising the pressure, which raises the boiling point again.",
      ],
    ],
    [
      "metal-feels-cold",
      [
        "Metal and wood in the same room are at the same temperature, yet the metal feels colder. Why?",
        "Your skin does not sense temperature directly; it senses how fast heat leaves it.",
        "Metal conducts heat hundreds of times better than wood, so it draws heat from your hand much faster.",
        "The faster loss makes your skin cool quickly, and your nerves report that as cold.",
        "So the feeling tells you about thermal conductivity, not about the object's temperature.",
      ],
    ],
    [
      "sky-blue",
      [
        "The sky is blue because of how sunlight scatters off air molecules.",
        "Molecules much smaller than the wavelength of light scatter it with an intensity proportional to one over the wavelength to the fourth power.",
        "Blue light has a shorter wavelength than red light, so it is scattered several times more strongly.",
        "That scattered blue light reaches your eyes from every direction of the sky.",
        "At sunset the light crosses much more air, most of the blue is scattered out along the way, and the remaining direct light looks red and orange.",
      ],
    ],
    [
      "price-ceiling",
      [
        "Economists often predict shortages when a city caps rents. Here is the reasoning.",
        "A price ceiling below the market price makes renting cheaper, so more people want apartments.",
        "At the same time, landlords earn less, so fewer new units are built and some owners convert units to other uses.",
        "Demand rises while supply falls, and the gap between them is the shortage.",
        "The shortage shows up as waiting lists, less maintenance, and side payments instead of higher posted rents.",
        "Whether a cap is still worth it depends on how much tenants gain compared with the lost supply, which is an empirical question.",
      ],
    ],
    [
      "correlation",
      [
        "Ice cream sales and drowning deaths rise and fall together. Does ice cream cause drowning?",
        "No. Both are driven by a third factor: hot weather.",
        "On hot days more people buy ice cream and more people go swimming, and more swimming means more drownings.",
        "If you compared only days with the same temperature, the link between the two would largely disappear.",
        "This is why a correlation alone cannot establish a cause; you have to rule out common causes first.",
      ],
    ],
    [
      "off-by-one",
      [
        "Debugging story: my loop printed eleven lines instead of ten.",
        "The loop was written as for i from 0 to 10 inclusive, and I had assumed it ran ten times.",
        "Counting the values 0, 1, 2 up to 10 gives eleven numbers, because both ends are included.",
        "Changing the condition to i < 10 makes it run for 0 through 9, which is exactly ten iterations.",
        "The general rule is that a range from a to b inclusive has b − a + 1 elements.",
      ],
    ],
    [
      "monty-hall",
      [
        "The Monty Hall problem, explained without formulas.",
        "You pick one of three doors; the host, who knows where the car is, opens another door to show a goat and offers a switch.",
        "Your first pick is right one time in three, and the host's action cannot change that.",
        "So the remaining closed door must hold the car the other two times out of three.",
        "Switching therefore wins with probability 2/3, twice as often as staying.",
        "If you are not convinced, imagine a hundred doors where the host opens ninety-eight of them.",
      ],
    ],
    [
      "lever",
      [
        "Why can a long crowbar lift a heavy stone?",
        "A lever balances when the torques on each side are equal, and torque is force times distance from the pivot.",
        "If your hand is 1.2 metres from the pivot and the stone is 0.1 metres away, each newton you apply produces twelve times as much force on the stone.",
        "The price is distance: your hand must move twelve times further than the stone rises.",
        "Energy is conserved, so the lever trades distance for force rather than creating work from nothing.",
      ],
    ],
  ];
  for (const [slug, sentences] of science) {
    add(
      "explanation",
      pick(["science-for-everyone.example", "ask-a-teacher.example", "curious-minds.example"]),
      slug,
      some(sentences, 4),
    );
  }
  for (let i = 0; i < 8; i++) {
    const a = int(20, 60);
    const diff = int(18, a - 2);
    const years = int(3, 15);
    const childNow = a - diff;
    add("worked-example", "puzzle-corner.example", `ages-${i}`, [
      `A parent is ${a} and their child is ${childNow}. In how many years will the parent be exactly twice as old?`,
      `Let x be the number of years. Then ${a} + x = 2 × (${childNow} + x).`,
      `Expanding gives ${a} + x = ${2 * childNow} + 2x, so x = ${a - 2 * childNow}.`,
      a - 2 * childNow > 0
        ? `So in ${a - 2 * childNow} years the parent will be ${2 * a - 2 * childNow} and the child ${a - childNow}, which checks out.`
        : `A negative answer means the moment already passed ${2 * childNow - a} years ago, when the parent was twice the child's age.`,
      `The difference in their ages, ${diff} years, never changes, which is a quick way to check the result.`,
      ...some([`After ${years} more years the ratio will be ${fmt((a + years) / (childNow + years), 2)}.`], 0),
    ]);
  }
  for (let i = 0; i < 8; i++) {
    const w = int(3, 8);
    const l = int(4, 12);
    const tile = pick([25, 30, 40, 50]);
    const tiles = Math.ceil((w * 100) / tile) * Math.ceil((l * 100) / tile);
    add("worked-example", "diy-renovation.example", `tiling-${i}`, [
      `Planning to tile a ${w} m by ${l} m floor with ${tile} cm square tiles, so I worked out how many to buy.`,
      `Across the ${w} m side I need ${w * 100} / ${tile} = ${fmt((w * 100) / tile, 2)} tiles, which rounds up to ${Math.ceil((w * 100) / tile)} because a cut tile still costs a whole one.`,
      `Along the ${l} m side I need ${Math.ceil((l * 100) / tile)} tiles for the same reason.`,
      `That gives ${Math.ceil((w * 100) / tile)} × ${Math.ceil((l * 100) / tile)} = ${tiles} tiles.`,
      `Adding the usual ten percent for breakage and mistakes, I will order ${Math.ceil(tiles * 1.1)}.`,
      ...some(
        [
          `Dividing the floor area by the tile area would give ${fmt((w * l * 10000) / (tile * tile), 1)}, which underestimates because it ignores the cut edges.`,
        ],
        0,
      ),
    ]);
  }
  return out;
}

// ------------------------------------------------------------------ English, without reasoning
function englishPlain(): Passage[] {
  const out: Passage[] = [];
  const add = (kind: string, site: string, slug: string, sentences: string[]) =>
    out.push({ text: sentences.join(" "), language: "en", reasoning: false, kind, site, slug });
  const products = [
    ["Stainless steel water bottle", "750 ml", "keeps drinks cold for 24 hours and hot for 12"],
    ["Merino wool hiking socks", "pack of three", "cushioned heel and a seamless toe"],
    ["Bamboo cutting board", "45 × 30 cm", "juice groove on one side"],
    ["Wireless earbuds", "charging case included", "up to 28 hours of playback"],
    ["Cast iron skillet", "26 cm", "pre-seasoned and ready to use"],
    ["LED desk lamp", "five brightness levels", "USB charging port in the base"],
    ["Canvas tote bag", "18 litres", "inner zip pocket"],
    ["Ceramic pour-over coffee dripper", "fits cups and carafes", "dishwasher safe"],
    ["Kids' rain jacket", "sizes 2–10", "reflective strips on the sleeves"],
    ["Yoga mat", "6 mm thick", "non-slip texture on both sides"],
    ["Electric kettle", "1.7 litres", "auto shut-off and boil-dry protection"],
    ["Folding camping chair", "holds up to 120 kg", "cup holder in the armrest"],
  ];
  for (let i = 0; i < 24; i++) {
    const [name, size, feature] = products[i % products.length]!;
    add(
      "product",
      pick(["shop-ledger.example", "northwind-goods.example", "homeandtrail.example"]),
      `product-${i}`,
      some(
        [
          `${name}, ${size}.`,
          `Features: ${feature}.`,
          pick([`Available in ${int(2, 8)} colours.`, `Now in stock.`, `Limited edition.`]),
          `Price: $${int(8, 140)}.${pick(["00", "49", "95", "99"])}.`,
          pick([
            `Free shipping on orders over $${pick([25, 35, 50])}.`,
            `Ships within ${int(1, 4)} business days.`,
            `Order before 2 pm for same-day dispatch.`,
          ]),
          `${int(12, 900)} customer reviews, average rating ${fmt(3.5 + random() * 1.5, 1)} out of 5.`,
          `30-day returns. Add to cart.`,
        ],
        4,
      ),
    );
  }
  const towns = [
    "Millbrook",
    "Eastwood",
    "Harbor Point",
    "Cedar Falls",
    "Riverside",
    "Oak Ridge",
    "Pine Hollow",
    "Westfield",
  ];
  const events = [
    "farmers' market",
    "summer concert series",
    "book fair",
    "charity 5K run",
    "craft beer festival",
    "open-air cinema night",
    "vintage car show",
    "library reading hour",
  ];
  const months = ["March", "April", "May", "June", "July", "August", "September", "October"];
  for (let i = 0; i < 18; i++) {
    const town = pick(towns);
    add(
      "announcement",
      `${town.toLowerCase().replace(/\s/g, "")}-community.example`,
      `event-${i}`,
      some(
        [
          `The ${town} ${pick(events)} returns on ${pick(months)} ${int(1, 28)}.`,
          `Doors open at ${int(8, 11)} am at the ${pick(["town hall", "central park", "old railway depot", "community centre"])}.`,
          pick([`Admission is free.`, `Tickets are $${int(5, 25)} at the gate.`, `Children under twelve get in free.`]),
          `Parking is available on ${pick(["Main Street", "Elm Avenue", "Station Road"])}.`,
          `Local food trucks and live music all day.`,
          `Volunteers can sign up at the front desk.`,
          `Follow us for updates.`,
        ],
        3,
      ),
    );
  }
  const dishes = [
    ["Lemon garlic chicken", ["chicken thighs", "lemons", "garlic", "olive oil", "thyme"]],
    ["Tomato basil soup", ["ripe tomatoes", "onion", "vegetable stock", "fresh basil", "cream"]],
    ["Banana bread", ["ripe bananas", "flour", "butter", "brown sugar", "eggs", "baking soda"]],
    ["Chickpea curry", ["chickpeas", "coconut milk", "curry paste", "spinach", "onion"]],
    ["Blueberry pancakes", ["flour", "milk", "eggs", "blueberries", "maple syrup"]],
    ["Roasted vegetable pasta", ["penne", "zucchini", "bell peppers", "cherry tomatoes", "parmesan"]],
  ] as const;
  for (let i = 0; i < 12; i++) {
    const [dish, ingredients] = dishes[i % dishes.length]!;
    add("recipe", pick(["weeknight-kitchen.example", "grandmas-table.example"]), `recipe-${i}`, [
      `${dish}. Serves ${int(2, 6)}. Prep ${int(5, 20)} minutes, cook ${int(15, 60)} minutes.`,
      `Ingredients: ${shuffle([...ingredients]).join(", ")}, salt and pepper.`,
      `Preheat the oven to ${pick([180, 190, 200, 220])} °C.`,
      `${pick(["Chop", "Slice", "Prepare"])} the ${ingredients[0]} and the ${ingredients[1]}.`,
      `Combine everything in a large ${pick(["bowl", "pan", "baking dish"])}.`,
      `${pick(["Bake", "Simmer", "Cook"])} until done and serve warm.`,
      ...some([`Leftovers keep in the fridge for ${int(2, 4)} days.`, `Jump to recipe · Print recipe · Pin it.`], 0),
    ]);
  }
  const teams = ["Rovers", "United", "Falcons", "Harriers", "City", "Athletic", "Wanderers", "Comets"];
  for (let i = 0; i < 12; i++) {
    const [home, away] = shuffle([...teams]).slice(0, 2);
    const hs = int(0, 5);
    const as = int(0, 4);
    add(
      "sports",
      "matchday-report.example",
      `match-${i}`,
      some(
        [
          `${home} ${hs}, ${away} ${as}.`,
          `${hs > as ? home : as > hs ? away : "Neither side"} ${hs === as ? "could find a winner" : "took the points"} in front of a crowd of ${int(2, 40)},${int(100, 999)}.`,
          `${pick(["Kane", "Silva", "Okafor", "Lindqvist", "Moreau", "Tanaka"])} scored in the ${int(3, 89)}th minute.`,
          `The next fixture is away on ${pick(["Saturday", "Sunday", "Wednesday"])}.`,
          `Highlights are available on the club website.`,
        ],
        3,
      ),
    );
  }
  for (let i = 0; i < 10; i++) {
    const rooms = int(1, 5);
    add(
      "listing",
      pick(["homefinder-listings.example", "cityrent.example"]),
      `listing-${i}`,
      some(
        [
          `${rooms}-bedroom ${pick(["apartment", "townhouse", "cottage", "flat"])} for ${pick(["rent", "sale"])} in ${pick(towns)}.`,
          `${int(45, 220)} m², ${pick(["second", "third", "ground", "top"])} floor, ${pick(["balcony", "garden", "garage", "lift"])}.`,
          `${pick(["Recently renovated kitchen.", "Hardwood floors throughout.", "Close to schools and shops.", "Pets allowed."])}`,
          `Available from ${pick(months)} ${int(1, 28)}.`,
          `Contact the agent to arrange a viewing.`,
        ],
        3,
      ),
    );
  }
  for (let i = 0; i < 8; i++) {
    add(
      "boilerplate",
      pick(["shop-ledger.example", "news-daily.example", "cityrent.example"]),
      `privacy-${i}`,
      some(
        [
          `We use cookies to improve your experience on our site.`,
          `By continuing to browse, you agree to our use of cookies.`,
          `Read our privacy policy and terms of service.`,
          `Home | About | Contact | Careers | Press.`,
          `© ${int(2015, 2024)} All rights reserved.`,
          `Subscribe to our newsletter for the latest offers.`,
        ],
        3,
      ),
    );
  }
  for (let i = 0; i < 10; i++) {
    const role = pick([
      "Warehouse associate",
      "Barista",
      "Junior accountant",
      "Delivery driver",
      "Dental receptionist",
      "Software support technician",
    ]);
    add(
      "job",
      "localjobs-board.example",
      `job-${i}`,
      some(
        [
          `${role} wanted in ${pick(towns)}.`,
          `${pick(["Full-time", "Part-time", "Seasonal"])}, ${pick(["day shifts", "flexible hours", "weekends required"])}.`,
          `Pay: $${int(15, 32)} per hour.`,
          `Requirements: ${pick(["a valid driver's licence", "one year of experience", "good communication skills", "basic computer skills"])}.`,
          `Apply online or send your CV to the address below.`,
          `Equal opportunity employer.`,
        ],
        4,
      ),
    );
  }
  for (let i = 0; i < 8; i++) {
    const high = int(8, 34);
    add(
      "weather",
      "weather-now.example",
      `forecast-${i}`,
      some(
        [
          `${pick(towns)} forecast for ${pick(["Monday", "Tuesday", "Friday", "the weekend"])}.`,
          `${pick(["Sunny", "Partly cloudy", "Showers", "Overcast", "Thunderstorms"])} with a high of ${high} °C and a low of ${high - int(4, 10)} °C.`,
          `Wind ${pick(["north", "south-west", "east", "west"])} at ${int(5, 40)} km/h.`,
          `Chance of rain: ${int(0, 90)}%.`,
          `UV index ${int(1, 9)}.`,
        ],
        3,
      ),
    );
  }
  return out;
}

// ------------------------------------------------------------------ other languages
interface LanguagePack {
  code: string;
  site: string;
  plain: Array<() => string[]>;
  reasoning: Array<() => string[]>;
}

const LANGUAGES: LanguagePack[] = [
  {
    code: "de",
    site: "ratgeber-online.example",
    plain: [
      () => [
        `Edelstahl-Trinkflasche, ${pick([500, 750, 1000])} ml.`,
        `Hält Getränke bis zu 24 Stunden kalt.`,
        `Preis: ${int(12, 39)},99 €.`,
        `Versandkostenfrei ab 30 € Bestellwert.`,
        `Lieferung in ${int(1, 4)} bis ${int(5, 7)} Werktagen.`,
      ],
      () => [
        `Das Stadtfest in ${pick(["Bad Hersfeld", "Lüneburg", "Tübingen", "Rosenheim"])} findet am ${int(1, 28)}. ${pick(["Mai", "Juni", "Juli", "August"])} statt.`,
        `Der Eintritt ist frei.`,
        `Für Essen und Getränke ist gesorgt.`,
        `Parkplätze gibt es am Bahnhof.`,
        `Wir freuen uns auf Ihren Besuch!`,
      ],
      () => [
        `Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.`,
        `Wenn Sie die Seite weiter nutzen, stimmen Sie der Verwendung zu.`,
        `Impressum | Datenschutz | Kontakt.`,
        `Newsletter abonnieren und keine Angebote mehr verpassen.`,
      ],
    ],
    reasoning: [
      () => {
        const preis = int(40, 200);
        const rabatt = pick([10, 20, 25, 30]);
        const neu = preis * (1 - rabatt / 100);
        return [
          `Eine Jacke kostet ${preis} Euro und wird um ${rabatt} Prozent reduziert.`,
          `Um den neuen Preis zu berechnen, bestimmen wir zuerst den Rabatt: ${rabatt} Prozent von ${preis} sind ${fmt((preis * rabatt) / 100)} Euro.`,
          `Diesen Betrag ziehen wir vom alten Preis ab, also ${preis} − ${fmt((preis * rabatt) / 100)} = ${fmt(neu)} Euro.`,
          `Man kann auch direkt mit dem Faktor ${fmt(1 - rabatt / 100)} multiplizieren, weil nach dem Rabatt noch ${100 - rabatt} Prozent des Preises übrig bleiben.`,
          `Beide Wege führen deshalb zum gleichen Ergebnis.`,
        ];
      },
      () => [
        `Warum schwimmt Eis auf dem Wasser?`,
        `Beim Gefrieren ordnen sich die Wassermoleküle in einem offenen Gitter an, das mehr Platz braucht als flüssiges Wasser.`,
        `Die Masse bleibt gleich, das Volumen wird größer, also sinkt die Dichte.`,
        `Ein Körper schwimmt, wenn seine Dichte kleiner ist als die der Flüssigkeit, und deshalb schwimmt Eis.`,
        `Daraus folgt auch, dass Seen von oben zufrieren und das Wasser darunter flüssig bleibt.`,
      ],
    ],
  },
  {
    code: "fr",
    site: "conseils-pratiques.example",
    plain: [
      () => [
        `Lampe de bureau LED, ${int(3, 6)} niveaux de luminosité.`,
        `Port de charge USB intégré.`,
        `Prix : ${int(19, 59)},90 €.`,
        `Livraison gratuite dès 40 € d'achat.`,
        `Retours acceptés sous 30 jours.`,
      ],
      () => [
        `Le marché de producteurs de ${pick(["Quimper", "Annecy", "Colmar", "Périgueux"])} a lieu chaque samedi matin.`,
        `Vous y trouverez des fruits, des légumes et des fromages de la région.`,
        `L'entrée est libre.`,
        `Un parking gratuit se trouve derrière la mairie.`,
      ],
      () => [
        `Ce site utilise des cookies pour améliorer votre expérience.`,
        `En poursuivant votre navigation, vous acceptez leur utilisation.`,
        `Mentions légales | Politique de confidentialité | Contact.`,
        `Inscrivez-vous à notre lettre d'information.`,
      ],
    ],
    reasoning: [
      () => {
        const d = int(60, 300);
        const t = pick([1.5, 2, 2.5, 3, 4]);
        return [
          `Un train parcourt ${d} kilomètres en ${t} heures. Quelle est sa vitesse moyenne ?`,
          `La vitesse moyenne est égale à la distance divisée par la durée.`,
          `On calcule donc ${d} ÷ ${t} = ${fmt(d / t, 1)} kilomètres par heure.`,
          `Pour vérifier, on multiplie la vitesse par la durée : ${fmt(d / t, 1)} × ${t} redonne bien ${d} kilomètres.`,
          `Ce raisonnement suppose une vitesse constante ; s'il y a des arrêts, la vitesse en roulant est plus élevée.`,
        ];
      },
      () => [
        `Pourquoi le ciel est-il bleu ?`,
        `La lumière du Soleil est diffusée par les molécules de l'air, et cette diffusion est beaucoup plus forte pour les courtes longueurs d'onde.`,
        `Le bleu a une longueur d'onde plus courte que le rouge, il est donc davantage dispersé dans toutes les directions.`,
        `C'est cette lumière diffusée que nous voyons partout dans le ciel.`,
        `Au coucher du soleil, la lumière traverse plus d'air, le bleu est perdu en route et il reste surtout du rouge et de l'orange.`,
      ],
    ],
  },
  {
    code: "es",
    site: "guia-practica.example",
    plain: [
      () => [
        `Mochila impermeable de ${pick([20, 25, 30])} litros.`,
        `Bolsillo para portátil y correas acolchadas.`,
        `Precio: ${int(25, 79)},95 €.`,
        `Envío gratis en pedidos superiores a 50 €.`,
        `Disponible en ${int(2, 6)} colores.`,
      ],
      () => [
        `La feria del libro de ${pick(["Salamanca", "Valencia", "Córdoba", "Bilbao"])} abre sus puertas el ${int(1, 28)} de ${pick(["abril", "mayo", "junio", "octubre"])}.`,
        `Habrá firmas de autores y talleres para niños.`,
        `La entrada es gratuita.`,
        `El horario es de diez de la mañana a nueve de la noche.`,
      ],
      () => [
        `Utilizamos cookies propias y de terceros para mejorar nuestros servicios.`,
        `Si continúa navegando, consideramos que acepta su uso.`,
        `Aviso legal | Política de privacidad | Contacto.`,
      ],
    ],
    reasoning: [
      () => {
        const capital = int(10, 80) * 100;
        const tasa = pick([2, 3, 4, 5]);
        const anos = int(2, 6);
        return [
          `Si invertimos ${capital} euros al ${tasa} % de interés compuesto anual, ¿cuánto tendremos después de ${anos} años?`,
          `Cada año el capital se multiplica por ${fmt(1 + tasa / 100, 2)}, porque se suman los intereses al saldo anterior.`,
          `Por lo tanto, después de ${anos} años el saldo es ${capital} × ${fmt(1 + tasa / 100, 2)}^${anos}.`,
          `El resultado es aproximadamente ${fmt(capital * (1 + tasa / 100) ** anos, 2)} euros.`,
          `Con interés simple obtendríamos menos, ${fmt(capital * (1 + (tasa * anos) / 100), 2)} euros, ya que los intereses no generarían nuevos intereses.`,
        ];
      },
      () => [
        `¿Por qué tarda más en cocerse la pasta en la montaña?`,
        `El agua hierve cuando su presión de vapor iguala la presión del aire.`,
        `En altura la presión atmosférica es menor, así que el agua hierve a menos de cien grados.`,
        `Como la cocción depende de la temperatura y no de las burbujas, los alimentos tardan más.`,
        `Por eso una olla a presión acelera la cocción: aumenta la presión y con ella el punto de ebullición.`,
      ],
    ],
  },
  {
    code: "it",
    site: "consigli-utili.example",
    plain: [
      () => [
        `Caffettiera in alluminio da ${pick([3, 6, 9])} tazze.`,
        `Adatta a fornelli a gas ed elettrici.`,
        `Prezzo: ${int(15, 45)},90 €.`,
        `Spedizione gratuita per ordini superiori a 29 €.`,
      ],
      () => [
        `La sagra del tartufo di ${pick(["Alba", "Norcia", "Acqualagna", "San Miniato"])} si terrà dal ${int(1, 14)} al ${int(15, 28)} novembre.`,
        `Sono previsti stand gastronomici e musica dal vivo.`,
        `L'ingresso è libero.`,
        `Il parcheggio si trova vicino alla stazione.`,
      ],
    ],
    reasoning: [
      () => {
        const persone = int(3, 6);
        const giorni = int(8, 20);
        return [
          `Se ${persone} operai finiscono un lavoro in ${giorni} giorni, quanto tempo impiegano ${persone * 2} operai?`,
          `Il lavoro totale vale ${persone} × ${giorni} = ${persone * giorni} giornate-uomo, e questa quantità non cambia.`,
          `Raddoppiando il numero di operai, il tempo si dimezza, perché le due grandezze sono inversamente proporzionali.`,
          `Quindi servono ${persone * giorni} ÷ ${persone * 2} = ${fmt(giorni / 2, 1)} giorni.`,
          `Nella realtà il coordinamento potrebbe rallentare un po' il lavoro, ma il ragionamento ideale è questo.`,
        ];
      },
    ],
  },
  {
    code: "pt",
    site: "dicas-do-dia.example",
    plain: [
      () => [
        `Cadeira de praia dobrável, suporta até ${int(100, 140)} kg.`,
        `Estrutura em alumínio e tecido resistente.`,
        `Preço: R$ ${int(89, 299)},90.`,
        `Frete grátis para todo o Brasil.`,
      ],
      () => [
        `O festival de música de ${pick(["Recife", "Curitiba", "Porto Alegre", "Salvador"])} acontece no dia ${int(1, 28)} de ${pick(["março", "julho", "setembro", "dezembro"])}.`,
        `Os portões abrem às ${int(14, 18)} horas.`,
        `Os ingressos estão à venda no site oficial.`,
        `Haverá praça de alimentação e área infantil.`,
      ],
    ],
    reasoning: [
      () => {
        const base = int(4, 12);
        const altura = int(3, 10);
        return [
          `Como calcular a área de um triângulo com base ${base} cm e altura ${altura} cm?`,
          `Um triângulo é exatamente metade de um retângulo com a mesma base e a mesma altura.`,
          `O retângulo teria área ${base} × ${altura} = ${base * altura} cm².`,
          `Portanto, o triângulo tem metade disso, ou seja, ${fmt((base * altura) / 2, 1)} cm².`,
          `É por isso que a fórmula é base vezes altura dividido por dois.`,
        ];
      },
    ],
  },
  {
    code: "nl",
    site: "handige-tips.example",
    plain: [
      () => [
        `Elektrische waterkoker, ${pick(["1,5", "1,7"])} liter.`,
        `Automatische uitschakeling en droogkookbeveiliging.`,
        `Prijs: € ${int(19, 49)},95.`,
        `Voor 22:00 besteld, morgen in huis.`,
      ],
      () => [
        `De boekenmarkt in ${pick(["Deventer", "Haarlem", "Leiden", "Zwolle"])} wordt gehouden op zondag ${int(1, 28)} ${pick(["april", "mei", "augustus"])}.`,
        `Er staan meer dan honderd kramen.`,
        `De toegang is gratis.`,
        `Fietsen kunnen gestald worden bij het station.`,
      ],
    ],
    reasoning: [
      () => [
        `Waarom voelt metaal kouder aan dan hout, terwijl ze even warm zijn?`,
        `Onze huid meet geen temperatuur, maar hoe snel warmte wegstroomt.`,
        `Metaal geleidt warmte veel beter dan hout, dus het onttrekt sneller warmte aan je hand.`,
        `Daardoor koelt je huid snel af en voelt het metaal koud aan.`,
        `Het gevoel zegt dus iets over warmtegeleiding en niet over de temperatuur van het voorwerp.`,
      ],
    ],
  },
  {
    code: "ru",
    site: "poleznye-sovety.example",
    plain: [
      () => [
        `Термос из нержавеющей стали объёмом ${pick(["0,5", "0,75", "1"])} литра.`,
        `Сохраняет напитки горячими до двенадцати часов.`,
        `Цена: ${int(9, 29)}90 рублей.`,
        `Бесплатная доставка при заказе от трёх тысяч рублей.`,
      ],
      () => [
        `Городская ярмарка пройдёт в субботу на центральной площади.`,
        `Вход свободный.`,
        `Будут работать лавки с мёдом, выпечкой и сувенирами.`,
        `Начало в десять часов утра.`,
      ],
    ],
    reasoning: [
      () => {
        const d = int(100, 400);
        const t = int(2, 5);
        return [
          `Автомобиль проехал ${d} километров за ${t} часа. Какова его средняя скорость?`,
          `Средняя скорость равна расстоянию, делённому на время.`,
          `Значит, ${d} делим на ${t} и получаем ${fmt(d / t, 1)} километров в час.`,
          `Проверим: ${fmt(d / t, 1)} умножить на ${t} снова даёт ${d} километров.`,
          `Поэтому ответ верный, если скорость была постоянной.`,
        ];
      },
    ],
  },
  {
    code: "zh",
    site: "shenghuo-xiaotieshi.example",
    plain: [
      () => [
        `不锈钢保温杯，容量${pick([350, 500, 750])}毫升。`,
        `保冷二十四小时，保温十二小时。`,
        `价格：${int(59, 199)}元。`,
        `全国包邮，七天无理由退货。`,
      ],
      () => [
        `本周六上午九点，社区图书馆将举办亲子阅读活动。`,
        `活动免费，欢迎家长带孩子参加。`,
        `名额有限，请提前报名。`,
      ],
    ],
    reasoning: [
      () => {
        const a = int(20, 80);
        const b = int(2, 9);
        return [
          `小明有${a * b}个苹果，要平均分给${b}个同学，每人能分到几个？`,
          `平均分就是用总数除以人数。`,
          `所以${a * b}除以${b}等于${a}。`,
          `我们可以用乘法检验：${a}乘以${b}正好等于${a * b}。`,
          `因此每个同学分到${a}个苹果。`,
        ];
      },
    ],
  },
  {
    code: "ja",
    site: "kurashi-no-hint.example",
    plain: [
      () => [
        `ステンレス製の水筒、容量${pick([350, 500, 800])}ミリリットル。`,
        `保冷は二十四時間、保温は十二時間です。`,
        `価格は${int(19, 49)}80円です。`,
        `送料無料でお届けします。`,
      ],
      () => [
        `今週の土曜日に駅前の広場で朝市が開かれます。`,
        `地元の野菜や果物がたくさん並びます。`,
        `入場は無料です。`,
      ],
    ],
    reasoning: [
      () => {
        const price = int(10, 60) * 100;
        return [
          `定価${price}円の商品が二割引きになっています。支払う金額はいくらでしょうか。`,
          `二割引きとは、定価の二十パーセントを引くという意味です。`,
          `定価の二十パーセントは${price / 5}円なので、${price}円から${price / 5}円を引きます。`,
          `したがって、支払う金額は${(price * 4) / 5}円になります。`,
          `定価に〇・八を掛けても同じ答えになります。`,
        ];
      },
    ],
  },
];

function otherLanguages(): Passage[] {
  const out: Passage[] = [];
  for (const pack of LANGUAGES) {
    // European languages get more pages than the three non-Latin scripts (as on the web DCLM crawls).
    const perKind = ["ru", "zh", "ja"].includes(pack.code) ? 4 : 8;
    for (let i = 0; i < perKind; i++) {
      for (const [reasoning, make, slug] of [
        [false, pack.plain[i % pack.plain.length]!, `page-${i}`],
        [true, pack.reasoning[i % pack.reasoning.length]!, `notes-${i}`],
      ] as const) {
        out.push({
          text: make().join(pack.code === "zh" || pack.code === "ja" ? "" : " "),
          language: pack.code,
          reasoning,
          kind: reasoning ? "reasoning" : "plain",
          site: pack.site,
          slug,
        });
      }
    }
  }
  return out;
}

const passages = shuffle([...englishReasoning(), ...englishPlain(), ...otherLanguages()]);
const records = passages.map((passage, index) => {
  const date = new Date(Date.UTC(2023, int(0, 11), int(1, 28), int(0, 23), int(0, 59), int(0, 59)));
  const url = `https://www.${passage.site}/${passage.slug}-${index + 1}`;
  return {
    text: passage.text,
    url,
    metadata: {
      "WARC-Type": "response",
      "WARC-Date": date.toISOString().replace(/\.\d{3}Z$/, "Z"),
      "WARC-Record-ID": `<urn:uuid:${uuid()}>`,
      "WARC-Target-URI": url,
      "WARC-Identified-Payload-Type": "text/html",
      "Content-Length": String(Buffer.byteLength(passage.text) + int(2000, 40000)),
    },
    previous_word_count: passage.text.split(/\s+/).length,
    synthetic_labels: { language: passage.language, reasoning: passage.reasoning, kind: passage.kind },
  };
});

mkdirSync("datasets/natural-reasoning", { recursive: true });
const jsonl = "datasets/natural-reasoning/passages.jsonl";
writeFileSync(jsonl, `${records.map((record) => JSON.stringify(record)).join("\n")}\n`);
execFileSync("zstd", ["-19", "-q", "-f", "--no-progress", jsonl, "-o", `${jsonl}.zst`]);

const counts: Record<string, number> = {};
for (const { synthetic_labels: label } of records) {
  const key = `${label.language}/${label.reasoning ? "reasoning" : "plain"}`;
  counts[key] = (counts[key] ?? 0) + 1;
}
process.stdout.write(`${records.length} passages: ${JSON.stringify(counts)}\n`);
