// The texts of docs/schemas/*.json, byte for byte (IntentSchemaFileTests compares them). Edit both together.

extension IntentSchemas {
    /// docs/schemas/chat.message.json
    public static let chatMessageSchema = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "urn:meshpeer:schema:v1:chat.message",
          "title": "chat.message",
          "description": "A chat line from one agent to another. Version 1.",
          "type": "object",
          "properties": {
            "text": {
              "description": "The message, at most 16,384 characters (Unicode code points).",
              "type": "string",
              "maxLength": 16384
            },
            "format": {
              "description": "How to render `text`; plain text when absent.",
              "enum": ["text", "markdown"]
            }
          },
          "required": ["text"],
          "additionalProperties": false
        }

        """#

    /// docs/schemas/task.request.json
    public static let taskRequestSchema = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "urn:meshpeer:schema:v1:task.request",
          "title": "task.request",
          "description": "Asks the recipient to perform a task. Its answers are task.response messages whose in_reply_to is this message's ID. Version 1.",
          "type": "object",
          "properties": {
            "task": {
              "description": "What to do: a skill ID from the recipient's card, or a short instruction.",
              "type": "string",
              "minLength": 1,
              "maxLength": 256
            },
            "input": {
              "description": "The task's input: any JSON value."
            },
            "deadline": {
              "description": "When the answer stops being useful (RFC 3339).",
              "type": "string",
              "format": "date-time",
              "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
            }
          },
          "required": ["task", "input"],
          "additionalProperties": false
        }

        """#

    /// docs/schemas/task.response.json
    public static let taskResponseSchema = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "urn:meshpeer:schema:v1:task.response",
          "title": "task.response",
          "description": "An answer to a task.request (in_reply_to names it). `partial` answers may be followed by more. Version 1.",
          "type": "object",
          "properties": {
            "status": {
              "enum": ["ok", "error", "partial"]
            },
            "output": {
              "description": "The task's output: any JSON value."
            },
            "error": {
              "description": "What went wrong; required when status is `error`.",
              "type": "string",
              "maxLength": 4096
            }
          },
          "required": ["status"],
          "if": {
            "properties": { "status": { "const": "error" } }
          },
          "then": {
            "required": ["error"]
          },
          "additionalProperties": false
        }

        """#

    /// docs/schemas/task.cancel.json
    public static let taskCancelSchema = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "urn:meshpeer:schema:v1:task.cancel",
          "title": "task.cancel",
          "description": "Withdraws a task.request (in_reply_to names it). Version 1.",
          "type": "object",
          "properties": {
            "reason": {
              "type": "string",
              "maxLength": 1000
            }
          },
          "additionalProperties": false
        }

        """#

    /// docs/schemas/capability.query.json
    public static let capabilityQuerySchema = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "urn:meshpeer:schema:v1:capability.query",
          "title": "capability.query",
          "description": "Asks for the recipient's full agent card (the node answers it, not the agent); `skill` narrows the question to one skill ID. Version 1.",
          "type": "object",
          "properties": {
            "skill": {
              "type": "string",
              "maxLength": 128
            }
          },
          "additionalProperties": false
        }

        """#

    /// docs/schemas/receipt.json
    public static let receiptSchema = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "urn:meshpeer:schema:v1:receipt",
          "title": "receipt",
          "description": "Delivery receipts as an agent sees them in its event stream. Nodes send receipts themselves; an agent cannot send this intent. Version 1.",
          "type": "object",
          "properties": {
            "ids": {
              "description": "The message IDs delivered (32 lowercase hex digits each).",
              "type": "array",
              "items": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$"
              },
              "minItems": 1,
              "maxItems": 256
            }
          },
          "required": ["ids"],
          "additionalProperties": false
        }

        """#
}
