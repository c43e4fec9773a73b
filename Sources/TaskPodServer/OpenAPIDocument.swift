/// The API's contract, served at `/openapi.yaml`. Tests check every answer of the server against it.
public enum OpenAPIDocument {
    public static let yaml = #"""
openapi: 3.1.0
info:
  title: taskpod
  version: "1"
  description: |
    Pods for tasks: submit task instances (Airflow's dag_id, task_id, run_id, map_index, try_number), follow their
    state and logs, cancel them. Served by `taskpod controller --listen HOST:PORT`. Everything under /api/ needs
    `Authorization: Bearer <token>` with a token of the server's --api-token-file.
    A sensitive task's command, args and env values are never returned: each is "<redacted>".
security:
  - bearer: []
paths:
  /healthz:
    get:
      summary: Liveness. 503 when a loop of the controller is stuck; the body says which.
      security: []
      responses:
        "200": {description: ok, content: {text/plain: {schema: {type: string}}}}
        "503": {description: a loop is stuck, content: {text/plain: {schema: {type: string}}}}
  /readyz:
    get:
      summary: Readiness. The store answers, the informers have synced, and the controller leads or is a ready standby (the body says which).
      security: []
      responses:
        "200": {description: ready, content: {text/plain: {schema: {type: string}}}}
        "503": {description: not ready and why, content: {text/plain: {schema: {type: string}}}}
  /metrics:
    get:
      summary: Prometheus metrics.
      security: []
      responses:
        "200": {description: metrics, content: {text/plain: {schema: {type: string}}}}
  /openapi.yaml:
    get:
      summary: This document.
      security: []
      responses:
        "200": {description: the document, content: {application/yaml: {schema: {type: string}}}}
  /api/v1/tasks:
    post:
      summary: Submit a task, idempotently by external_id.
      description: |
        201 with the new task; 200 with the stored task when a task with the same key and the same external_id
        exists (a retried request); 409 when a task with the same key has another (or no) external_id.
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Submission"}}}
      responses:
        "201": {$ref: "#/components/responses/Task"}
        "200": {$ref: "#/components/responses/Task"}
        "409": {$ref: "#/components/responses/Conflict"}
        "401": {$ref: "#/components/responses/Errors"}
        "413": {$ref: "#/components/responses/Errors"}
        "422": {$ref: "#/components/responses/Errors"}
    get:
      summary: List tasks, by id with a cursor, or those changed after updated_since.
      description: Unknown query parameters are refused (422), so that a misspelt filter is not ignored.
      parameters:
        - name: state
          in: query
          description: comma-separated states
          schema:
            type: string
            pattern: "^((queued|launched|running|success|failed|cancelled)(,(queued|launched|running|success|failed|cancelled))*)?$"
        - {name: dag_id, in: query, schema: {type: string}}
        - {name: run_id, in: query, schema: {type: string}}
        - {name: external_id, in: query, schema: {type: string}}
        - name: ids
          in: query
          description: comma-separated task ids
          schema: {type: string, pattern: "^([0-9]{1,18}(,[0-9]{1,18}){0,999})?$"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
        - name: cursor
          in: query
          description: next_cursor of the previous page
          schema: {type: string, pattern: "^([0-9]{1,18})?$"}
        - name: updated_since
          in: query
          schema: {type: string, pattern: "^([0-9]{1,18}([.][0-9]{1,18})?)?$"}
          description: |
            0, or the next_cursor of an earlier updated_since answer: only tasks changed after it, in change order.
            The answer's next_cursor is always set; poll on from it.
      responses:
        "200":
          description: tasks
          content:
            application/json:
              schema:
                type: object
                required: [tasks, next_cursor]
                properties:
                  tasks: {type: array, items: {$ref: "#/components/schemas/Task"}}
                  next_cursor: {type: [string, "null"]}
        "401": {$ref: "#/components/responses/Errors"}
        "422": {$ref: "#/components/responses/Errors"}
  /api/v1/tasks/batch:
    post:
      summary: Submit up to 1,000 tasks in one transaction, with one result per task, in order.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [tasks]
              properties:
                tasks:
                  type: array
                  maxItems: 1000
                  description: Submissions; each is checked on its own and answered in results (422 with its errors).
                  items: {}
      responses:
        "200":
          description: one result per task
          content:
            application/json:
              schema:
                type: object
                required: [results]
                properties:
                  results:
                    type: array
                    items:
                      type: object
                      required: [status]
                      properties:
                        status: {type: integer, enum: [200, 201, 409, 422]}
                        task: {$ref: "#/components/schemas/Task"}
                        errors: {type: array, items: {$ref: "#/components/schemas/FieldError"}}
        "401": {$ref: "#/components/responses/Errors"}
        "413": {$ref: "#/components/responses/Errors"}
        "422": {$ref: "#/components/responses/Errors"}
  /api/v1/tasks/{id}:
    get:
      summary: A task and its event history.
      parameters: [{$ref: "#/components/parameters/id"}]
      responses:
        "200":
          description: the task, with events
          content:
            application/json:
              schema:
                type: object
                required: [task]
                properties:
                  task:
                    allOf:
                      - {$ref: "#/components/schemas/Task"}
                      - type: object
                        required: [events]
                        properties:
                          events: {type: array, items: {$ref: "#/components/schemas/Event"}}
        "401": {$ref: "#/components/responses/Errors"}
        "404": {$ref: "#/components/responses/Errors"}
  /api/v1/tasks/{id}/log:
    get:
      summary: The task's log as text; with follow=true, streamed until the task ends.
      parameters:
        - {$ref: "#/components/parameters/id"}
        - {name: offset, in: query, schema: {type: integer, minimum: 0}, description: "bytes to skip"}
        - {name: tail_lines, in: query, schema: {type: integer, minimum: 0}}
        - {name: follow, in: query, schema: {type: boolean}}
      responses:
        "200":
          description: the log (X-Log-End carries its size, the offset to read on from, when not followed)
          headers:
            X-Log-End: {schema: {type: integer}}
          content: {text/plain: {schema: {type: string}}}
        "401": {$ref: "#/components/responses/Errors"}
        "404": {$ref: "#/components/responses/Errors"}
        "422": {$ref: "#/components/responses/Errors"}
  /api/v1/tasks/{id}/cancel:
    post:
      summary: Cancel a task; a queued task is cancelled at once, a running one once its Pod is stopped.
      parameters: [{$ref: "#/components/parameters/id"}]
      responses:
        "200": {$ref: "#/components/responses/Task"}
        "401": {$ref: "#/components/responses/Errors"}
        "404": {$ref: "#/components/responses/Errors"}
  /api/v1/render:
    post:
      summary: The Pod a task would get from this controller, or why it would be refused.
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Submission"}}}
      responses:
        "200":
          description: the Pod
          content:
            application/json:
              schema:
                type: object
                required: [pod]
                properties:
                  pod: {type: object}
        "401": {$ref: "#/components/responses/Errors"}
        "413": {$ref: "#/components/responses/Errors"}
        "422": {$ref: "#/components/responses/Errors"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  parameters:
    id: {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
  responses:
    Task:
      description: a task
      content:
        application/json:
          schema:
            type: object
            required: [task]
            properties:
              task: {$ref: "#/components/schemas/Task"}
    Conflict:
      description: a task with the same key and another external_id
      content:
        application/json:
          schema:
            type: object
            required: [errors, task]
            properties:
              errors: {type: array, items: {$ref: "#/components/schemas/FieldError"}}
              task: {$ref: "#/components/schemas/Task"}
    Errors:
      description: what is wrong, by field
      content:
        application/json:
          schema:
            type: object
            required: [errors]
            properties:
              errors: {type: array, items: {$ref: "#/components/schemas/FieldError"}}
  schemas:
    FieldError:
      type: object
      required: [field, message]
      properties:
        field: {type: string, description: "e.g. pod_override.spec.containers[0].resources.limits.memory"}
        message: {type: string}
    Submission:
      type: object
      description: |
        Give command or args; leave out what you do not set (null is refused). The task is also checked against the controller's template: the Pod it would get must
        be valid (see /api/v1/render), else 422 names the field.
      required: [dag_id, task_id, run_id]
      oneOf:
        - {required: [command], not: {required: [args]}}
        - {required: [args], not: {required: [command]}}
      additionalProperties: false
      properties:
        dag_id: {$ref: "#/components/schemas/KeyText"}
        task_id: {$ref: "#/components/schemas/KeyText"}
        run_id: {$ref: "#/components/schemas/KeyText"}
        map_index: {type: integer, minimum: -1, maximum: 2147483647, default: -1}
        try_number: {type: integer, minimum: 1, maximum: 2147483647, default: 1}
        command: {type: array, minItems: 1, items: {type: string}, description: "replaces the image's entrypoint"}
        args: {type: array, minItems: 1, items: {type: string}, description: "instead of command: the entrypoint stays"}
        image: {type: string, minLength: 1}
        namespace: {type: string, pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"}
        env:
          type: object
          propertyNames: {pattern: "^[ -<>-~]+$"}
          additionalProperties: {type: string}
        pod_override:
          type: object
          description: A partial Pod (camelCase), merged as kubectl patch --type strategic; checked against the Pod schema.
        pod_template: {type: object, description: "the task's own base Pod instead of the controller's template"}
        external_id: {$ref: "#/components/schemas/KeyText"}
        labels:
          type: object
          propertyNames: {$ref: "#/components/schemas/QualifiedName"}
          additionalProperties: {type: string, pattern: "^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$"}
        annotations:
          type: object
          propertyNames: {$ref: "#/components/schemas/QualifiedName"}
          additionalProperties: {type: string}
        sensitive: {type: boolean, description: "command, args and env values are never returned"}
    QualifiedName:
      type: string
      pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"
    KeyText:
      type: string
      minLength: 1
      pattern: "^[^\\x00]+$"
    Task:
      type: object
      required: [id, dag_id, task_id, run_id, map_index, try_number, external_id, state, reason, pod_name, namespace,
                 cancel_requested, command, args, image, env, sensitive, queued_at, updated_at, change_cursor]
      properties:
        id: {type: integer}
        dag_id: {type: string}
        task_id: {type: string}
        run_id: {type: string}
        map_index: {type: integer}
        try_number: {type: integer}
        external_id: {type: [string, "null"]}
        state: {type: string, enum: [queued, launched, running, success, failed, cancelled]}
        reason: {type: [string, "null"]}
        pod_name: {type: [string, "null"]}
        namespace: {type: [string, "null"]}
        controller_id: {type: [string, "null"]}
        cancel_requested: {type: boolean}
        command: {type: array, items: {type: string}}
        args: {type: [array, "null"], items: {type: string}}
        image: {type: [string, "null"]}
        env: {type: object, additionalProperties: {type: string}}
        sensitive: {type: boolean}
        pod_override: {type: [object, "null"]}
        pod_template: {type: [object, "null"]}
        queued_at: {type: string, format: date-time}
        launched_at: {type: [string, "null"], format: date-time}
        running_at: {type: [string, "null"], format: date-time}
        finished_at: {type: [string, "null"], format: date-time}
        updated_at: {type: string, format: date-time}
        change_cursor: {type: string, description: "updated_since=<this> lists the changes after this task's last"}
    Event:
      type: object
      required: [at, from, to]
      properties:
        at: {type: string, format: date-time}
        from: {type: [string, "null"]}
        to: {type: string}
        reason: {type: [string, "null"]}
        controller_id: {type: [string, "null"]}
        pod_name: {type: [string, "null"]}
        node: {type: [string, "null"]}
"""#
}
