from gateway.openapi import merge

PAGE_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}


def service(name: str, page_fields: dict) -> dict:
    return {
        "openapi": "3.1.0",
        "paths": {
            f"/{name}/things": {
                "get": {
                    "operationId": f"list_{name}",
                    "tags": [name],
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}
                    },
                }
            },
            "/health/ready": {"get": {"responses": {}}},
        },
        "components": {
            "schemas": {
                "Page": {"type": "object", "properties": page_fields},
                "Error": {"type": "object", "properties": {"detail": {"type": "string"}}},
            }
        },
        "tags": [{"name": name}],
    }


GATEWAY = {"openapi": "3.1.0", "paths": {"/admin/clients": {"get": {"responses": {}}}}, "components": {}}


def test_colliding_names_are_prefixed_and_references_follow():
    readings = service("readings", {"count": {"type": "integer"}})
    crm = service("crm", {"total": {"type": "integer"}})
    merged = merge(GATEWAY, {"readings": readings, "crm": crm}, {})
    schemas = merged["components"]["schemas"]
    assert {"readings_Page", "crm_Page", "Error"} <= set(schemas) and "Page" not in schemas
    ref = merged["paths"]["/crm/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ref == {"$ref": "#/components/schemas/crm_Page"}
    assert schemas["crm_Page"]["properties"] == {"total": {"type": "integer"}}


def test_only_routed_paths_and_app_id_security_on_service_operations():
    merged = merge(GATEWAY, {"readings": service("readings", {})}, {})
    assert set(merged["paths"]) == {"/admin/clients", "/readings/things"}
    assert merged["paths"]["/readings/things"]["get"]["security"] == [{"AppId": []}]
    assert "security" not in merged["paths"]["/admin/clients"]["get"]
    assert merged["components"]["securitySchemes"]["AppId"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-App-Id",
        "description": "The client's app id, as issued by the gateway's admin API",
    }
    assert [tag["name"] for tag in merged["tags"]] == ["readings"]


def test_services_that_did_not_answer_are_named():
    merged = merge(GATEWAY, {}, {"crm": "HTTP 503"})
    assert "crm (HTTP 503)" in merged["info"]["description"]
    assert set(merged["paths"]) == {"/admin/clients"}


def test_the_inputs_are_left_untouched():
    readings, crm = service("readings", {"a": {}}), service("crm", {"b": {}})
    merge(GATEWAY, {"readings": readings, "crm": crm}, {})
    assert "Page" in readings["components"]["schemas"]


def test_service_operations_get_the_gateways_answers_beside_their_own():
    readings = service("readings", {})
    readings["paths"]["/readings/things"]["get"]["responses"]["401"] = {"description": "Bad signature"}
    operation = merge(GATEWAY, {"readings": readings}, {})["paths"]["/readings/things"]["get"]
    responses = operation["responses"]
    assert {"401", "403", "429", "502", "503", "504"} <= set(responses)
    assert responses["401"]["description"] == "`X-App-Id` is missing, unknown or disabled; or: Bad signature"
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert responses["403"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    }
    assert "401" not in merge(GATEWAY, {"readings": readings}, {})["paths"]["/admin/clients"]["get"]["responses"]


def test_public_paths_take_no_app_id_and_get_only_the_gateways_answers_that_apply():
    readings = service("readings", {})
    readings["paths"]["/readings/public/sms/{token}"] = {
        "post": {"responses": {"200": {"description": "Recorded"}, "401": {"description": "Bad signature"}}}
    }
    readings["paths"]["/readings/publications"] = {"get": {"responses": {}}}
    paths = merge(GATEWAY, {"readings": readings}, {})["paths"]
    operation = paths["/readings/public/sms/{token}"]["post"]
    assert operation["security"] == []
    responses = operation["responses"]
    assert {"429", "502", "503", "504"} <= set(responses) and "403" not in responses and "400" not in responses
    assert responses["401"]["description"] == "Bad signature"  # the service's own, not the app id's
    assert "GATEWAY_PUBLIC_RATE_LIMIT_PER_MINUTE" in responses["429"]["description"]
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert paths["/readings/publications"]["get"]["security"] == [{"AppId": []}]  # a prefix, not the segment


def test_a_name_shared_alike_that_refers_to_a_colliding_name_is_prefixed_too():
    def listing(name: str, fields: dict) -> dict:
        document = service(name, {"count": {"type": "integer"}})
        document["components"]["schemas"]["Item"] = {"type": "object", "properties": fields}
        # Both services write this envelope alike, but it lists each one's own `Item`.
        document["components"]["schemas"]["Page"] = {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
        return document

    merged = merge(GATEWAY, {"readings": listing("readings", {"a": {}}), "crm": listing("crm", {"b": {}})}, {})
    schemas = merged["components"]["schemas"]
    assert schemas["crm_Page"]["items"] == {"$ref": "#/components/schemas/crm_Item"}
    assert schemas["readings_Page"]["items"] == {"$ref": "#/components/schemas/readings_Item"}
    assert "Page" not in schemas and "Item" not in schemas
