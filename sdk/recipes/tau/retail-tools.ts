/**
 * The tau2 `retail` domain: products with variant items, users with payment methods, orders. Our own
 * TypeScript reimplementation of tau2-bench's retail toolkit (sierra-research/tau2-bench,
 * `src/tau2/domains/retail/tools.py` and `data_model.py`, MIT): the same 16 tools, arguments,
 * results, error messages and database updates — including the order in which a tool changes things,
 * the rounding of gift-card balances (Python's `round`), and which checks use "pending" as a prefix.
 *
 * Where you are: `recipes/tau/`, the tau runtime. Records keep tau2's pydantic field order; an order
 * carries every optional field (`cancel_reason`, `exchange_*`, `return_*`, null until set).
 */
import { z } from "zod";
import type { JsonObject, TauDatabase } from "./database.js";
import { evaluateArithmetic, pyFloatRepr, pyJsonDumps, pyRound } from "./python-compat.js";
import { required, valueError, withDefaults, type TauTool, type TauToolkit } from "./toolkit.js";

interface OrderItem {
  name: string;
  product_id: string;
  item_id: string;
  price: number;
  options: Record<string, string>;
}
interface Payment {
  transaction_type: "payment" | "refund";
  amount: number;
  payment_method_id: string;
}
interface PaymentMethod {
  source: string;
  id: string;
  balance?: number;
}

const ORDER_FIELDS = [
  ["order_id", ""],
  ["user_id", ""],
  ["address", {}],
  ["items", []],
  ["status", "pending"],
  ["fulfillments", []],
  ["payment_history", []],
  ["cancel_reason", null],
  ["exchange_items", null],
  ["exchange_new_items", null],
  ["exchange_payment_method_id", null],
  ["exchange_price_difference", null],
  ["return_items", null],
  ["return_payment_method_id", null],
] as const;

const orderId = z
  .string()
  .describe("The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.");
const userId = z.string().describe("The user id, such as 'sara_doe_496'.");
const productId = z
  .string()
  .describe("The product id, such as '6086499569'. Be careful the product id is different from the item id.");
const itemId = z
  .string()
  .describe("The item id, such as '6086499569'. Be careful the item id is different from the product id.");
const paymentMethodId = z
  .string()
  .describe(
    "The payment method id to pay or receive a refund for the price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. It can be looked up from the user or order details.",
  );
const itemIds = (what: string) =>
  z
    .array(z.string())
    .describe(`The item ids ${what}, each such as '1008292230'. There could be duplicate items in the list.`);
const address = {
  address1: z.string().describe("The first line of the address, such as '123 Main St'."),
  address2: z.string().describe("The second line of the address, such as 'Apt 1' or ''."),
  city: z.string().describe("The city, such as 'San Francisco'."),
  state: z.string().describe("The state, such as 'CA'."),
  country: z.string().describe("The country, such as 'USA'."),
  zip: z.string().describe("The zip code, such as '12345'."),
};
const CONFIRM = "The agent must explain the details and get explicit user confirmation (yes/no) before calling it.";

function order(db: TauDatabase, id: string): JsonObject {
  return required(db, "orders", id, "Order not found");
}

function user(db: TauDatabase, id: string): JsonObject {
  return required(db, "users", id, "User not found");
}

function product(db: TauDatabase, id: string): JsonObject {
  return required(db, "products", id, "Product not found");
}

function variant(db: TauDatabase, productIdValue: string, variantId: string): JsonObject {
  const variants = product(db, productIdValue).variants as Record<string, JsonObject>;
  if (!Object.prototype.hasOwnProperty.call(variants, variantId)) throw valueError("Variant not found");
  return variants[variantId]!;
}

function paymentMethod(db: TauDatabase, userIdValue: string, methodId: string): PaymentMethod {
  const methods = user(db, userIdValue).payment_methods as Record<string, PaymentMethod>;
  if (!Object.prototype.hasOwnProperty.call(methods, methodId)) throw valueError("Payment method not found");
  return methods[methodId]!;
}

/** The gift card to change, inside the user record cloned for writing. */
function writableGiftCard(db: TauDatabase, userIdValue: string, methodId: string): PaymentMethod {
  return (db.write("users", userIdValue).payment_methods as Record<string, PaymentMethod>)[methodId]!;
}

const isGiftCard = (method: PaymentMethod) => method.source === "gift_card";

/** How many times `value` occurs in `list` (Python's `list.count`). */
const count = (list: readonly string[], value: string) => list.filter((entry) => entry === value).length;

/** Python's `sorted` of strings (code-point order). */
const sorted = (list: readonly string[]) => [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function checkItemsExist(orderRecord: JsonObject, ids: readonly string[], message: (id: string) => string): void {
  const all = (orderRecord.items as OrderItem[]).map((item) => item.item_id);
  for (const id of ids) if (count(ids, id) > count(all, id)) throw valueError(message(id));
}

const firstItem = (orderRecord: JsonObject, id: string) =>
  (orderRecord.items as OrderItem[]).find((item) => item.item_id === id);

const tools: TauTool[] = [
  {
    name: "calculate",
    kind: "generic",
    description:
      "Calculate the result of a mathematical expression made of numbers, operators (+, -, *, /), parentheses and spaces.",
    parameters: z.object({
      expression: z.string().describe("The mathematical expression to calculate, such as '2 + 2'."),
    }),
    run(_db, { expression }) {
      if (![...expression].every((char) => "0123456789+-*/(). ".includes(char)))
        throw valueError("Invalid characters in expression");
      return pyFloatRepr(pyRound(evaluateArithmetic(expression), 2));
    },
  },
  {
    name: "cancel_pending_order",
    kind: "write",
    description: `Cancel a pending order; a processed or delivered order cannot be cancelled. ${CONFIRM} The order becomes 'cancelled' and every payment is refunded: at once to a gift card, in 5-7 business days otherwise. Returns the order after the cancellation.`,
    parameters: z.object({
      order_id: orderId,
      reason: z
        .string()
        .describe("The reason for cancellation, which should be either 'no longer needed' or 'ordered by mistake'."),
    }),
    run(db, { order_id, reason }) {
      const current = order(db, order_id);
      if (current.status !== "pending") throw valueError("Non-pending order cannot be cancelled");
      if (reason !== "no longer needed" && reason !== "ordered by mistake") throw valueError("Invalid reason");
      const refunds: Payment[] = [];
      for (const payment of current.payment_history as Payment[]) {
        refunds.push({
          transaction_type: "refund",
          amount: payment.amount,
          payment_method_id: payment.payment_method_id,
        });
        const owner = user(db, current.user_id as string);
        const method = paymentMethod(db, owner.user_id as string, payment.payment_method_id);
        if (isGiftCard(method)) {
          const card = writableGiftCard(db, owner.user_id as string, payment.payment_method_id);
          card.balance = pyRound(card.balance! + payment.amount, 2);
        }
      }
      const updated = db.write("orders", order_id);
      updated.status = "cancelled";
      updated.cancel_reason = reason;
      (updated.payment_history as Payment[]).push(...refunds);
      return updated;
    },
  },
  {
    name: "exchange_delivered_order_items",
    kind: "write",
    description: `Exchange items of a delivered order for new items of the same product type. For a delivered order, a return or an exchange can be done only once. ${CONFIRM} Returns the order after the exchange request.`,
    parameters: z.object({
      order_id: orderId,
      item_ids: itemIds("to be exchanged"),
      new_item_ids: itemIds("to exchange for; each must be of the same product as the item id in the same position"),
      payment_method_id: paymentMethodId,
    }),
    run(db, { order_id, item_ids, new_item_ids, payment_method_id }) {
      const current = order(db, order_id);
      if (current.status !== "delivered") throw valueError("Non-delivered order cannot be exchanged");
      checkItemsExist(current, item_ids, (id) => `Number of ${id} not found.`);
      if (item_ids.length !== new_item_ids.length)
        throw valueError("The number of items to be exchanged should match.");
      let difference = 0;
      item_ids.forEach((id: string, index: number) => {
        const item = firstItem(current, id);
        if (item === undefined) throw valueError(`Item ${id} not found`);
        const replacement = variant(db, item.product_id, new_item_ids[index]);
        if (!replacement.available) throw valueError(`New item ${new_item_ids[index]} not found or available`);
        difference += (replacement.price as number) - item.price;
      });
      difference = pyRound(difference, 2);
      const method = paymentMethod(db, current.user_id as string, payment_method_id);
      if (isGiftCard(method) && method.balance! < difference)
        throw valueError("Insufficient gift card balance to pay for the price difference");
      const updated = db.write("orders", order_id);
      updated.status = "exchange requested";
      updated.exchange_items = sorted(item_ids);
      updated.exchange_new_items = sorted(new_item_ids);
      updated.exchange_payment_method_id = payment_method_id;
      updated.exchange_price_difference = difference;
      return updated;
    },
  },
  {
    name: "find_user_id_by_name_zip",
    kind: "read",
    description:
      "Find a user id by first name, last name and zip code. By default find the user by email; use this only if the user cannot be found by email or does not remember it.",
    parameters: z.object({
      first_name: z.string().describe("The first name of the customer, such as 'John'."),
      last_name: z.string().describe("The last name of the customer, such as 'Doe'."),
      zip: z.string().describe("The zip code of the customer, such as '12345'."),
    }),
    run(db, { first_name, last_name, zip }) {
      for (const [id, record] of db.entries("users")) {
        const name = record.name as { first_name: string; last_name: string };
        if (
          name.first_name.toLowerCase() === first_name.toLowerCase() &&
          name.last_name.toLowerCase() === last_name.toLowerCase() &&
          (record.address as { zip: string }).zip === zip
        )
          return id;
      }
      throw valueError("User not found");
    },
  },
  {
    name: "find_user_id_by_email",
    kind: "read",
    description: "Find a user id by email.",
    parameters: z.object({ email: z.string().describe("The email of the user, such as 'something@example.com'.") }),
    run(db, { email }) {
      for (const [id, record] of db.entries("users"))
        if ((record.email as string).toLowerCase() === email.toLowerCase()) return id;
      throw valueError("User not found");
    },
  },
  {
    name: "get_order_details",
    kind: "read",
    description: "Get the status and details of an order.",
    parameters: z.object({ order_id: orderId }),
    run: (db, { order_id }) => order(db, order_id),
  },
  {
    name: "get_product_details",
    kind: "read",
    description: "Get the inventory details of a product: its variant items, their options, availability and price.",
    parameters: z.object({ product_id: productId }),
    run: (db, { product_id }) => product(db, product_id),
  },
  {
    name: "get_item_details",
    kind: "read",
    description: "Get the inventory details of an item.",
    parameters: z.object({ item_id: itemId }),
    run(db, { item_id }) {
      for (const [, record] of db.entries("products")) {
        const variants = record.variants as Record<string, JsonObject>;
        if (Object.prototype.hasOwnProperty.call(variants, item_id)) return variants[item_id];
      }
      throw valueError("Item not found");
    },
  },
  {
    name: "get_user_details",
    kind: "read",
    description: "Get the details of a user, including their orders.",
    parameters: z.object({ user_id: userId }),
    run: (db, { user_id }) => user(db, user_id),
  },
  {
    name: "list_all_product_types",
    kind: "read",
    description:
      "List the name and product id of all product types (there are 50). Each product type has variant items with unique item ids and options. Returns a JSON object mapping product names to product ids, sorted by name.",
    parameters: z.object({}),
    run(db) {
      const byName: Record<string, string> = {};
      for (const [, record] of db.entries("products")) byName[record.name as string] = record.product_id as string;
      const names = sorted(Object.keys(byName));
      return pyJsonDumps(Object.fromEntries(names.map((name) => [name, byName[name]])));
    },
  },
  {
    name: "modify_pending_order_address",
    kind: "write",
    description: `Modify the shipping address of a pending order. ${CONFIRM} Returns the order after the modification.`,
    parameters: z.object({ order_id: orderId, ...address }),
    run(db, { order_id, address1, address2, city, state, country, zip }) {
      if (!(order(db, order_id).status as string).includes("pending"))
        throw valueError("Non-pending order cannot be modified");
      const updated = db.write("orders", order_id);
      updated.address = { address1, address2, city, country, state, zip };
      return updated;
    },
  },
  {
    name: "modify_pending_order_items",
    kind: "write",
    description: `Modify items of a pending order to new items of the same product type. For a pending order this can be called only once. ${CONFIRM} Returns the order after the modification.`,
    parameters: z.object({
      order_id: orderId,
      item_ids: itemIds("to be modified"),
      new_item_ids: itemIds("to modify to; each must be of the same product as the item id in the same position"),
      payment_method_id: paymentMethodId,
    }),
    run(db, { order_id, item_ids, new_item_ids, payment_method_id }) {
      const current = order(db, order_id);
      if (current.status !== "pending") throw valueError("Non-pending order cannot be modified");
      checkItemsExist(current, item_ids, (id) => `${id} not found`);
      if (item_ids.length !== new_item_ids.length) throw valueError("The number of items to be exchanged should match");
      let difference = 0;
      let lastReplacement: JsonObject | undefined;
      item_ids.forEach((id: string, index: number) => {
        if (id === new_item_ids[index]) throw valueError("The new item id should be different from the old item id");
        const item = firstItem(current, id);
        if (item === undefined) throw valueError(`Item ${id} not found`);
        const replacement = variant(db, item.product_id, new_item_ids[index]);
        if (!replacement.available) throw valueError(`New item ${new_item_ids[index]} not found or available`);
        difference += (replacement.price as number) - item.price;
        lastReplacement = replacement;
      });
      const method = paymentMethod(db, current.user_id as string, payment_method_id);
      if (isGiftCard(method) && method.balance! < difference)
        throw valueError("Insufficient gift card balance to pay for the new item");
      const updated = db.write("orders", order_id);
      (updated.payment_history as Payment[]).push({
        transaction_type: difference > 0 ? "payment" : "refund",
        amount: Math.abs(difference),
        payment_method_id,
      });
      if (isGiftCard(method)) {
        const card = writableGiftCard(db, current.user_id as string, payment_method_id);
        card.balance = pyRound(card.balance! - difference, 2);
      }
      item_ids.forEach((id: string, index: number) => {
        // Like tau2, each step looks the item up again in the order being changed, and gives it the price
        // and options of the *last* replacement checked above (tau2's loop reuses that loop's `variant`):
        // with several items, each takes the last new item's price and options. Reproduced on purpose,
        // so the database after a call, and hence the DB reward, is the one tau2 computes.
        const item = firstItem(updated, id);
        if (item === undefined) throw valueError(`Item ${id} not found`);
        item.item_id = new_item_ids[index];
        item.price = lastReplacement!.price as number;
        item.options = structuredClone(lastReplacement!.options as Record<string, string>);
      });
      updated.status = "pending (item modified)";
      return updated;
    },
  },
  {
    name: "modify_pending_order_payment",
    kind: "write",
    description: `Modify the payment method of a pending order. ${CONFIRM} Returns the order after the modification.`,
    parameters: z.object({ order_id: orderId, payment_method_id: paymentMethodId }),
    run(db, { order_id, payment_method_id }) {
      const current = order(db, order_id);
      if (!(current.status as string).includes("pending")) throw valueError("Non-pending order cannot be modified");
      const method = paymentMethod(db, current.user_id as string, payment_method_id);
      const history = current.payment_history as Payment[];
      if (history.length !== 1 || history[0]!.transaction_type !== "payment")
        throw valueError("There should be exactly one payment for a pending order");
      if (history[0]!.payment_method_id === payment_method_id)
        throw valueError("The new payment method should be different from the current one");
      const amount = history[0]!.amount;
      if (isGiftCard(method) && method.balance! < amount)
        throw valueError("Insufficient gift card balance to pay for the order");
      const updated = db.write("orders", order_id);
      const previous = history[0]!.payment_method_id;
      (updated.payment_history as Payment[]).push(
        { transaction_type: "payment", amount, payment_method_id },
        { transaction_type: "refund", amount, payment_method_id: previous },
      );
      const owner = current.user_id as string;
      if (isGiftCard(method)) {
        const card = writableGiftCard(db, owner, payment_method_id);
        card.balance = pyRound(card.balance! - amount, 2);
      }
      if (isGiftCard(paymentMethod(db, owner, previous))) {
        const card = writableGiftCard(db, owner, previous);
        card.balance = pyRound(card.balance! + amount, 2);
      }
      return updated;
    },
  },
  {
    name: "modify_user_address",
    kind: "write",
    description: `Modify the default address of a user. ${CONFIRM} Returns the user after the modification.`,
    parameters: z.object({ user_id: userId, ...address }),
    run(db, { user_id, address1, address2, city, state, country, zip }) {
      user(db, user_id);
      const updated = db.write("users", user_id);
      updated.address = { address1, address2, city, country, state, zip };
      return updated;
    },
  },
  {
    name: "return_delivered_order_items",
    kind: "write",
    description: `Return some items of a delivered order; the order becomes 'return requested' and the user gets an email on how and where to return them. ${CONFIRM} Returns the order after the return request.`,
    parameters: z.object({
      order_id: orderId,
      item_ids: itemIds("to be returned"),
      payment_method_id: z
        .string()
        .describe(
          "The payment method id to receive the refund, such as 'gift_card_0000000' or 'credit_card_0000000': the original payment method or a gift card. It can be looked up from the user or order details.",
        ),
    }),
    run(db, { order_id, item_ids, payment_method_id }) {
      const current = order(db, order_id);
      if (current.status !== "delivered") throw valueError("Non-delivered order cannot be returned");
      const owner = user(db, current.user_id as string);
      const method = paymentMethod(db, owner.user_id as string, payment_method_id);
      const original = (current.payment_history as Payment[])[0];
      if (!isGiftCard(method) && original === undefined) throw valueError("list index out of range");
      if (!isGiftCard(method) && payment_method_id !== original!.payment_method_id)
        throw valueError("Payment method should be the original payment method");
      checkItemsExist(current, item_ids, () => "Some item not found");
      const updated = db.write("orders", order_id);
      updated.status = "return requested";
      updated.return_items = sorted(item_ids);
      updated.return_payment_method_id = payment_method_id;
      return updated;
    },
  },
  {
    name: "transfer_to_human_agents",
    kind: "generic",
    description:
      "Transfer the user to a human agent, with a summary of the user's issue. Only transfer when the user explicitly asks for a human agent, or when the policy and the available tools cannot solve the user's issue.",
    parameters: z.object({ summary: z.string().describe("A summary of the user's issue.") }),
    run: () => "Transfer successful",
  },
];

export const retailToolkit: TauToolkit = {
  domain: "retail",
  tools,
  floatKeys: new Set(["price", "amount", "balance", "exchange_price_difference"]),
  normalize(collection, record) {
    if (collection === "orders") withDefaults(record, ORDER_FIELDS);
  },
};
