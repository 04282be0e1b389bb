/**
 * Every tool of the shipped tau2 domains (retail and mock) against its real database: results, the
 * database updates they make, and tau2's error messages. Expected values come from tau2-bench's tool
 * semantics (the same checks, in the same order, with Python's rounding).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { TauDataError } from "../../sdk/errors.js";
import { loadTauDomain, type TauDomain } from "../../sdk/recipes/tau/domain.js";
import type { TauEnvironment } from "../../sdk/recipes/tau/environment.js";
import { pyRound } from "../../sdk/recipes/tau/python-compat.js";

type Json = Record<string, any>;

let retail: TauDomain;
let mock: TauDomain;
beforeAll(() => {
  retail = loadTauDomain("datasets/tau2/retail");
  mock = loadTauDomain("datasets/tau2/mock");
});

const ok = (env: TauEnvironment, name: string, args: Json = {}, requestor?: "user") => {
  const result = env.call(name, args, requestor);
  if (!result.ok) throw new Error(`${name} failed: ${result.error}`);
  return result.value as any;
};
const error = (env: TauEnvironment, name: string, args: Json = {}, requestor?: "user") => {
  const result = env.call(name, args, requestor);
  if (result.ok) throw new Error(`${name} succeeded: ${JSON.stringify(result.value).slice(0, 200)}`);
  return result.error;
};

// Fixtures from datasets/tau2/retail/db.json.
const YUSUF = "yusuf_rossi_9620";
const DELIVERED = "#W2378156"; // Yusuf's, paid by credit_card_9513926
const PENDING_GIFT = "#W6779827"; // ethan_lopez_6291, one payment of 4079.45 by gift_card_7219486 (balance 49)
const DELIVERED_CC = "#W3113816"; // emma_santos_9753, paid by credit_card_5869505; has gift_card_6023546 (36)
const PROCESSED = "#W2611340";

describe("retail tools", () => {
  it("offers tau2's 16 tools with JSON Schema arguments", () => {
    expect(retail.tools.map((tool) => tool.name).sort()).toEqual(
      [
        "calculate",
        "cancel_pending_order",
        "exchange_delivered_order_items",
        "find_user_id_by_email",
        "find_user_id_by_name_zip",
        "get_item_details",
        "get_order_details",
        "get_product_details",
        "get_user_details",
        "list_all_product_types",
        "modify_pending_order_address",
        "modify_pending_order_items",
        "modify_pending_order_payment",
        "modify_user_address",
        "return_delivered_order_items",
        "transfer_to_human_agents",
      ].sort(),
    );
    const exchange = retail.tools.find((tool) => tool.name === "exchange_delivered_order_items")!;
    expect(exchange.parameters).toMatchObject({
      type: "object",
      required: ["order_id", "item_ids", "new_item_ids", "payment_method_id"],
      properties: { item_ids: { type: "array", items: { type: "string" } } },
    });
    expect(retail.userTools).toEqual([]);
  });

  it("looks users up by email and by name and zip, case-insensitively", () => {
    const env = retail.environment();
    expect(ok(env, "find_user_id_by_email", { email: "Yusuf.Rossi7301@example.com" })).toBe(YUSUF);
    expect(error(env, "find_user_id_by_email", { email: "nobody@example.com" })).toBe("User not found");
    expect(ok(env, "find_user_id_by_name_zip", { first_name: "yusuf", last_name: "ROSSI", zip: "19122" })).toBe(YUSUF);
    expect(error(env, "find_user_id_by_name_zip", { first_name: "Yusuf", last_name: "Rossi", zip: "19123" })).toBe(
      "User not found",
    );
  });

  it("gets user, order, product and item details, with every optional order field as null", () => {
    const env = retail.environment();
    const user = ok(env, "get_user_details", { user_id: YUSUF });
    expect(user.orders).toContain(DELIVERED);
    expect(error(env, "get_user_details", { user_id: "nobody_1" })).toBe("User not found");
    const order = ok(env, "get_order_details", { order_id: DELIVERED });
    expect(order.status).toBe("delivered");
    expect(Object.keys(order).slice(-7)).toEqual([
      "cancel_reason",
      "exchange_items",
      "exchange_new_items",
      "exchange_payment_method_id",
      "exchange_price_difference",
      "return_items",
      "return_payment_method_id",
    ]);
    expect(order.return_items).toBeNull();
    expect(error(env, "get_order_details", { order_id: "W2378156" })).toBe("Order not found");
    const product = ok(env, "get_product_details", { product_id: "1656367028" });
    expect(product.name).toBe("Mechanical Keyboard");
    expect(error(env, "get_product_details", { product_id: "7706410293" })).toBe("Product not found");
    expect(ok(env, "get_item_details", { item_id: "7706410293" })).toEqual(product.variants["7706410293"]);
    expect(error(env, "get_item_details", { item_id: "1656367028" })).toBe("Item not found");
    // A returned value is a copy: changing it changes nothing.
    order.status = "cancelled";
    expect(ok(env, "get_order_details", { order_id: DELIVERED }).status).toBe("delivered");
  });

  it("lists product types as Python's JSON, sorted by name, and its results read like tau2's", () => {
    const env = retail.environment();
    const text = ok(env, "list_all_product_types") as string;
    const names = Object.keys(JSON.parse(text));
    expect(names).toHaveLength(50);
    expect([...names].sort()).toEqual(names);
    expect(text.startsWith('{"Action Camera": "')).toBe(true);
    // A result goes to the model as tau2's json.dumps: ", " and ": ", floats written as floats.
    const content = env.content(env.call("get_order_details", { order_id: DELIVERED }));
    expect(content).toContain('"price": 342.81, "options": {"type": "over-ear"');
    expect(content).toContain('"cancel_reason": null');
  });

  it("calculates like Python: rounding to 2 places, true division, errors", () => {
    const env = retail.environment();
    expect(ok(env, "calculate", { expression: "2 + 2" })).toBe("4.0");
    expect(ok(env, "calculate", { expression: "(269.16 - 272.33) + (249.01 - 262.47)" })).toBe("-16.63");
    expect(ok(env, "calculate", { expression: "10 / 4" })).toBe("2.5");
    expect(error(env, "calculate", { expression: "2 ^ 3" })).toBe("Invalid characters in expression");
    expect(error(env, "calculate", { expression: "1 / 0" })).toBe("division by zero");
  });

  it("cancels a pending order: refunds every payment, to a gift card at once", () => {
    const env = retail.environment();
    expect(error(env, "cancel_pending_order", { order_id: PENDING_GIFT, reason: "changed my mind" })).toBe(
      "Invalid reason",
    );
    expect(error(env, "cancel_pending_order", { order_id: DELIVERED, reason: "no longer needed" })).toBe(
      "Non-pending order cannot be cancelled",
    );
    expect(error(env, "cancel_pending_order", { order_id: "#W0", reason: "no longer needed" })).toBe("Order not found");
    const order = ok(env, "cancel_pending_order", { order_id: PENDING_GIFT, reason: "ordered by mistake" });
    expect(order).toMatchObject({ status: "cancelled", cancel_reason: "ordered by mistake" });
    expect(order.payment_history).toEqual([
      { transaction_type: "payment", amount: 4079.45, payment_method_id: "gift_card_7219486" },
      { transaction_type: "refund", amount: 4079.45, payment_method_id: "gift_card_7219486" },
    ]);
    const card = (env.db() as Json).users.ethan_lopez_6291.payment_methods.gift_card_7219486;
    expect(card.balance).toBe(pyRound(49 + 4079.45, 2));
    // The seed is untouched: a fresh environment still has the order pending.
    expect((retail.environment().db() as Json).orders[PENDING_GIFT].status).toBe("pending");
  });

  it("modifies a pending order's address, payment and items", () => {
    const env = retail.environment();
    const address = { address1: "1 Main St", address2: "", city: "Austin", state: "TX", country: "USA", zip: "73301" };
    const moved = ok(env, "modify_pending_order_address", { order_id: PENDING_GIFT, ...address });
    // UserAddress keeps tau2's field order (country before state).
    expect(Object.keys(moved.address)).toEqual(["address1", "address2", "city", "country", "state", "zip"]);
    expect(error(env, "modify_pending_order_address", { order_id: DELIVERED, ...address })).toBe(
      "Non-pending order cannot be modified",
    );
    expect(
      error(env, "modify_pending_order_payment", { order_id: PENDING_GIFT, payment_method_id: "gift_card_7219486" }),
    ).toBe("The new payment method should be different from the current one");
    expect(error(env, "modify_pending_order_payment", { order_id: PENDING_GIFT, payment_method_id: "paypal_0" })).toBe(
      "Payment method not found",
    );
    const paid = ok(env, "modify_pending_order_payment", {
      order_id: PENDING_GIFT,
      payment_method_id: "credit_card_9789590",
    });
    expect(paid.payment_history.slice(1)).toEqual([
      { transaction_type: "payment", amount: 4079.45, payment_method_id: "credit_card_9789590" },
      { transaction_type: "refund", amount: 4079.45, payment_method_id: "gift_card_7219486" },
    ]);
    expect((env.db() as Json).users.ethan_lopez_6291.payment_methods.gift_card_7219486.balance).toBe(
      pyRound(49 + 4079.45, 2),
    );
    expect(
      error(env, "modify_pending_order_payment", { order_id: PENDING_GIFT, payment_method_id: "gift_card_7219486" }),
    ).toBe("There should be exactly one payment for a pending order");
    // A gift card pays the whole order or nothing (aarav_nguyen_7344's holds 22 of 591.95).
    expect(
      error(env, "modify_pending_order_payment", { order_id: "#W2443586", payment_method_id: "gift_card_2742113" }),
    ).toBe("Insufficient gift card balance to pay for the order");

    const fresh = retail.environment();
    const args = (item_ids: string[], new_item_ids: string[], payment_method_id = "credit_card_9789590") => ({
      order_id: PENDING_GIFT,
      item_ids,
      new_item_ids,
      payment_method_id,
    });
    expect(error(fresh, "modify_pending_order_items", args(["7896397433"], ["7896397433"]))).toBe(
      "The new item id should be different from the old item id",
    );
    expect(
      error(fresh, "modify_pending_order_items", args(["7896397433", "7896397433"], ["2444431651", "8068777068"])),
    ).toBe("7896397433 not found");
    expect(error(fresh, "modify_pending_order_items", args(["7896397433"], ["2444431651", "8068777068"]))).toBe(
      "The number of items to be exchanged should match",
    );
    expect(error(fresh, "modify_pending_order_items", args(["7896397433"], ["8140269513"]))).toBe(
      "New item 8140269513 not found or available",
    );
    expect(error(fresh, "modify_pending_order_items", args(["7896397433"], ["7706410293"]))).toBe("Variant not found");
    expect(error(fresh, "modify_pending_order_items", args(["7896397433"], ["2444431651"], "gift_card_7219486"))).toBe(
      "Insufficient gift card balance to pay for the new item",
    );
    const modified = ok(fresh, "modify_pending_order_items", args(["7896397433"], ["2444431651"]));
    const difference = 534.84 - 457.81;
    expect(modified.status).toBe("pending (item modified)");
    expect(modified.items[0]).toMatchObject({ item_id: "2444431651", price: 534.84 });
    expect(modified.payment_history.at(-1)).toEqual({
      transaction_type: "payment",
      amount: Math.abs(difference),
      payment_method_id: "credit_card_9789590",
    });
    expect(error(fresh, "modify_pending_order_items", args(["2444431651"], ["8068777068"]))).toBe(
      "Non-pending order cannot be modified",
    );

    // Several items: tau2 charges the true difference but gives every modified item the price and
    // options of the last new item (its second loop reuses the first loop's `variant`), so the
    // database, and the DB reward, depend on the order of the lists as they do in tau2.
    const two = retail.environment();
    const perfume = { id: "1725100896", price: 289.66, next: "9007697085", nextPrice: 318.96 };
    const skateboard = { id: "5312063289", price: 195.15, next: "6843647669", nextPrice: 180.1 };
    const both = ok(two, "modify_pending_order_items", {
      order_id: "#W5918442",
      item_ids: [perfume.id, skateboard.id],
      new_item_ids: [perfume.next, skateboard.next],
      payment_method_id: "credit_card_5051208",
    });
    const last = { "deck material": "bamboo", length: "28 inch", design: "graphic" };
    expect(both.items.slice(0, 2).map((item: Json) => [item.name, item.item_id, item.price, item.options])).toEqual([
      ["Perfume", perfume.next, skateboard.nextPrice, last],
      ["Skateboard", skateboard.next, skateboard.nextPrice, last],
    ]);
    expect(both.payment_history.at(-1)).toEqual({
      transaction_type: "payment",
      amount: Math.abs(perfume.nextPrice - perfume.price + (skateboard.nextPrice - skateboard.price)),
      payment_method_id: "credit_card_5051208",
    });
    const reversed = retail.environment();
    ok(reversed, "modify_pending_order_items", {
      order_id: "#W5918442",
      item_ids: [skateboard.id, perfume.id],
      new_item_ids: [skateboard.next, perfume.next],
      payment_method_id: "credit_card_5051208",
    });
    expect(reversed.matches(two).agent).toBe(false);
    // The product catalogue itself is untouched.
    expect((two.db() as Json).products).toEqual((retail.environment().db() as Json).products);
  });

  it("returns and exchanges items of a delivered order", () => {
    const env = retail.environment();
    expect(
      error(env, "return_delivered_order_items", { order_id: PENDING_GIFT, item_ids: [], payment_method_id: "x" }),
    ).toBe("Non-delivered order cannot be returned");
    expect(
      error(env, "return_delivered_order_items", {
        order_id: DELIVERED_CC,
        item_ids: ["2206116040"],
        payment_method_id: "paypal_1",
      }),
    ).toBe("Payment method not found");
    expect(
      error(env, "return_delivered_order_items", {
        order_id: DELIVERED_CC,
        item_ids: ["2206116040", "2206116040"],
        payment_method_id: "gift_card_6023546",
      }),
    ).toBe("Some item not found");
    const returned = ok(env, "return_delivered_order_items", {
      order_id: DELIVERED_CC,
      item_ids: ["4843487907", "2206116040"],
      payment_method_id: "gift_card_6023546",
    });
    expect(returned).toMatchObject({
      status: "return requested",
      return_items: ["2206116040", "4843487907"],
      return_payment_method_id: "gift_card_6023546",
    });

    const other = retail.environment();
    const exchange = (item_ids: string[], new_item_ids: string[], payment_method_id = "credit_card_9513926") => ({
      order_id: DELIVERED,
      item_ids,
      new_item_ids,
      payment_method_id,
    });
    expect(error(other, "exchange_delivered_order_items", exchange(["0"], ["1"]))).toBe("Number of 0 not found.");
    expect(error(other, "exchange_delivered_order_items", exchange(["1151293680"], []))).toBe(
      "The number of items to be exchanged should match.",
    );
    expect(error(other, "exchange_delivered_order_items", exchange(["1151293680"], ["9690244451"]))).toBe(
      "New item 9690244451 not found or available",
    );
    expect(
      error(other, "exchange_delivered_order_items", {
        ...exchange(["1151293680"], ["7706410293"]),
        order_id: PENDING_GIFT,
      }),
    ).toBe("Non-delivered order cannot be exchanged");
    const exchanged = ok(
      other,
      "exchange_delivered_order_items",
      exchange(["4983901480", "1151293680"], ["7747408585", "7706410293"]),
    );
    expect(exchanged).toMatchObject({
      status: "exchange requested",
      exchange_items: ["1151293680", "4983901480"],
      exchange_new_items: ["7706410293", "7747408585"],
      exchange_payment_method_id: "credit_card_9513926",
      exchange_price_difference: pyRound(269.16 - 272.33 + (249.01 - 262.47), 2),
    });
    // The item list itself is unchanged until the exchange is processed.
    expect(exchanged.items.map((item: Json) => item.item_id)).toContain("1151293680");
    // A gift card pays a price difference only up to its balance (ava_moore_2033's holds 69; +73.97 here).
    expect(
      error(other, "exchange_delivered_order_items", {
        order_id: "#W4817420",
        item_ids: ["4900661478"],
        new_item_ids: ["4894369688"],
        payment_method_id: "gift_card_8168843",
      }),
    ).toBe("Insufficient gift card balance to pay for the price difference");
    // A refund goes to the original payment method or a gift card, nothing else (paid by gift card here).
    expect(
      error(other, "return_delivered_order_items", {
        order_id: "#W9077205",
        item_ids: ["9370300555"],
        payment_method_id: "paypal_4101143",
      }),
    ).toBe("Payment method should be the original payment method");
    expect(
      error(other, "return_delivered_order_items", {
        order_id: DELIVERED,
        item_ids: [],
        payment_method_id: "credit_card_9513926",
      }),
    ).toBe("Non-delivered order cannot be returned");
  });

  it("modifies a user's default address and transfers to a human", () => {
    const env = retail.environment();
    const address = {
      address1: "2 Oak Ave",
      address2: "Apt 3",
      city: "Boston",
      state: "MA",
      country: "USA",
      zip: "02101",
    };
    expect(ok(env, "modify_user_address", { user_id: YUSUF, ...address }).address).toEqual({
      address1: "2 Oak Ave",
      address2: "Apt 3",
      city: "Boston",
      country: "USA",
      state: "MA",
      zip: "02101",
    });
    expect(error(env, "modify_user_address", { user_id: "nobody_2", ...address })).toBe("User not found");
    expect(ok(env, "transfer_to_human_agents", { summary: "wants a refund in cash" })).toBe("Transfer successful");
    expect(env.isMutating("modify_user_address")).toBe(true);
    expect(env.isMutating("transfer_to_human_agents")).toBe(false);
    expect(env.isMutating("get_user_details")).toBe(false);
  });

  it("refuses unknown tools and bad arguments with clear errors", () => {
    const env = retail.environment();
    expect(error(env, "delete_user", {})).toBe("Tool 'delete_user' not found.");
    expect(error(env, "get_order_details", {})).toMatch(/^invalid arguments for 'get_order_details': order_id: /);
    expect(error(env, "get_order_details", { order_id: DELIVERED, extra: 1 })).toMatch(/Unrecognized key: "extra"/);
  });
});

describe("mock tools", () => {
  it("creates tasks, lists users, updates status, with tau2's errors", () => {
    const env = mock.environment();
    expect(mock.tools.map((tool) => tool.name)).toEqual([
      "create_task",
      "get_users",
      "update_task_status",
      "transfer_to_human_agents",
    ]);
    expect(ok(env, "create_task", { user_id: "user_1", title: "Important Meeting" })).toEqual({
      task_id: "task_2",
      title: "Important Meeting",
      description: null,
      status: "pending",
    });
    expect(error(env, "create_task", { user_id: "user_9", title: "x" })).toBe("User user_9 not found");
    expect(ok(env, "get_users")).toEqual([{ user_id: "user_1", name: "Test User", tasks: ["task_1", "task_2"] }]);
    expect(ok(env, "update_task_status", { task_id: "task_2", status: "completed" }).status).toBe("completed");
    expect(error(env, "update_task_status", { task_id: "task_7", status: "completed" })).toBe("Task task_7 not found");
    expect(error(env, "update_task_status", { task_id: "task_2", status: "done" })).toMatch(/^invalid arguments/);
    expect(ok(env, "transfer_to_human_agents", { summary: "wants to delete tasks" })).toBe("Transfer successful");
    expect((env.db() as Json).tasks.task_2).toEqual({
      task_id: "task_2",
      title: "Important Meeting",
      description: null,
      status: "completed",
    });
  });

  it("gives the user its inbox tools, and the task files their helpers", () => {
    const env = mock.environment();
    expect(mock.userTools.map((tool) => tool.name)).toEqual(["check_notifications", "dismiss_notification"]);
    expect(ok(env, "check_notifications", {}, "user")).toEqual([
      {
        notification_id: "notif_1",
        message: "Task 'Test task' has been assigned to you.",
        status: "unread",
        task_id: "task_1",
      },
    ]);
    // The assistant cannot call the user's tools, and the other way round.
    expect(error(env, "check_notifications")).toBe("Tool 'check_notifications' not found.");
    expect(error(env, "get_users", {}, "user")).toBe("Tool 'get_users' not found.");
    expect(ok(env, "dismiss_notification", { notification_id: "notif_1" }, "user")).toBe(
      "Notification notif_1 dismissed",
    );
    expect(error(env, "dismiss_notification", { notification_id: "notif_2" }, "user")).toBe(
      "Notification notif_2 not found",
    );
    expect(
      env.assert({
        env_type: "user",
        func_name: "assert_notification_status",
        arguments: { notification_id: "notif_1", expected_status: "read" },
      }),
    ).toBe(true);
    expect(
      env.assert({ func_name: "assert_task_status", arguments: { task_id: "task_1", expected_status: "pending" } }),
    ).toBe(true);
    expect(
      env.assert({ func_name: "assert_number_of_tasks", arguments: { user_id: "user_1", expected_number: 2 } }),
    ).toBe(false);
    expect(
      env.assert({
        func_name: "assert_number_of_tasks",
        arguments: { user_id: "user_1", expected_number: 2 },
        assert_value: false,
      }),
    ).toBe(true);
    env.runFunction({
      env_type: "user",
      func_name: "add_notification",
      arguments: { notification_id: "n2", message: "hi" },
    });
    expect((env.userDbJson() as Json).notifications.n2).toEqual({
      notification_id: "n2",
      message: "hi",
      status: "unread",
      task_id: null,
    });
  });

  it("applies initialization data, actions and message history as tau2's set_state does", () => {
    const byId = (id: string) => mock.tasks.find((task) => task.id === id)!;
    const data = mock.environment();
    data.applyInitialState(byId("update_task_with_initialization_data").initial_state);
    expect((data.db() as Json).users.user_1).toEqual({
      user_id: "user_1",
      name: "Test User",
      tasks: ["task_1", "task_2"],
    });
    expect((data.db() as Json).tasks.task_2.title).toBe("Project Review");
    const actions = mock.environment();
    actions.applyInitialState(byId("update_task_with_initialization_actions").initial_state);
    expect((actions.db() as Json).tasks.task_2).toMatchObject({ title: "Project Review", status: "pending" });
  });
});

describe("loading domain directories", () => {
  it("names what is missing or unknown", () => {
    expect(() => loadTauDomain("datasets/quickstart")).toThrow(TauDataError);
    expect(() => loadTauDomain("datasets/tau2/retail", { name: "airline" })).toThrow(
      /no tools for the tau2 domain 'airline'/,
    );
  });
});
