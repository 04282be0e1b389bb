/**
 * The tau2 `mock` domain: users with task lists (assistant side) and a notification inbox (user side).
 * Our own TypeScript reimplementation of tau2-bench's mock toolkit (sierra-research/tau2-bench,
 * `src/tau2/domains/mock/`, MIT): the same tool names, arguments, results, error messages and database
 * updates, so replaying a task's actions here gives what tau2-bench gives.
 *
 * Where you are: `recipes/tau/`, the tau runtime. Records follow tau2's pydantic models, field order
 * included: Task(task_id, title, description, status), User(user_id, name, tasks),
 * Notification(notification_id, message, status, task_id).
 */
import { z } from "zod";
import type { JsonObject, TauDatabase } from "./database.js";
import { required, valueError, withDefaults, type TauTool, type TauToolkit } from "./toolkit.js";

const TASK_FIELDS = [
  ["task_id", ""],
  ["title", ""],
  ["description", null],
  ["status", "pending"],
] as const;
const NOTIFICATION_FIELDS = [
  ["notification_id", ""],
  ["message", ""],
  ["status", "unread"],
  ["task_id", null],
] as const;

const TaskStatus = z.enum(["pending", "completed"]);

function userOf(db: TauDatabase, userId: string): JsonObject {
  return required(db, "users", userId, `User ${userId} not found`);
}

function taskOf(db: TauDatabase, taskId: string): JsonObject {
  return required(db, "tasks", taskId, `Task ${taskId} not found`);
}

const tools: TauTool[] = [
  {
    name: "create_task",
    kind: "write",
    description:
      "Create a new task for a user.\n\nArgs:\n    user_id: The ID of the user creating the task.\n    title: The title of the task.\n    description: An optional description of the task.\n\nReturns:\n    The created task.",
    parameters: z.object({
      user_id: z.string().describe("The ID of the user creating the task, such as 'user_1'."),
      title: z.string().describe("The title of the task."),
      description: z.string().nullable().optional().describe("An optional description of the task."),
    }),
    run(db, { user_id, title, description }) {
      if (!db.has("users", user_id)) throw valueError(`User ${user_id} not found`);
      const taskId = `task_${db.entries("tasks").length + 1}`;
      const task = { task_id: taskId, title, description: description ?? null, status: "pending" };
      db.put("tasks", taskId, task);
      (db.write("users", user_id).tasks as string[]).push(taskId);
      return task;
    },
  },
  {
    name: "get_users",
    kind: "read",
    description: "Get all users in the database.",
    parameters: z.object({}),
    run: (db) => db.entries("users").map(([, user]) => user),
  },
  {
    name: "update_task_status",
    kind: "write",
    description:
      "Update the status of a task.\n\nArgs:\n    task_id: The ID of the task to update.\n    status: The new status of the task.\n\nReturns:\n    The updated task.",
    parameters: z.object({
      task_id: z.string().describe("The ID of the task to update, such as 'task_1'."),
      status: TaskStatus.describe("The new status of the task."),
    }),
    run(db, { task_id, status }) {
      taskOf(db, task_id);
      const task = db.write("tasks", task_id);
      task.status = status;
      return task;
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

const userTools: TauTool[] = [
  {
    name: "check_notifications",
    kind: "read",
    description: "Check all notifications in your inbox.",
    parameters: z.object({}),
    run: (db) => db.entries("notifications").map(([, notification]) => notification),
  },
  {
    name: "dismiss_notification",
    kind: "write",
    description: "Dismiss (mark as read) a notification.",
    parameters: z.object({
      notification_id: z.string().describe("The ID of the notification to dismiss, such as 'notif_1'."),
    }),
    run(db, { notification_id }) {
      required(db, "notifications", notification_id, `Notification ${notification_id} not found`);
      db.write("notifications", notification_id).status = "read";
      return `Notification ${notification_id} dismissed`;
    },
  },
];

export const mockToolkit: TauToolkit = {
  domain: "mock",
  tools,
  userTools,
  helpers: {
    assert_number_of_tasks: (db, { user_id, expected_number }) =>
      (userOf(db, user_id).tasks as string[]).length === expected_number,
    assert_task_status: (db, { task_id, expected_status }) => taskOf(db, task_id).status === expected_status,
  },
  userHelpers: {
    add_notification(db, { notification_id, message, task_id }) {
      const notification = { notification_id, message, status: "unread", task_id: task_id ?? null };
      db.put("notifications", notification_id, notification);
      return notification;
    },
    assert_notification_status(db, { notification_id, expected_status }) {
      const notification = required(db, "notifications", notification_id, `Notification ${notification_id} not found`);
      return notification.status === expected_status;
    },
  },
  floatKeys: new Set(),
  normalize(collection, record) {
    if (collection === "tasks") withDefaults(record, TASK_FIELDS);
    if (collection === "notifications") withDefaults(record, NOTIFICATION_FIELDS);
  },
};
