import Foundation
import Hummingbird
import MeshCore
import MeshPeer
import NIOCore

/// Reading and decoding request bodies: the size limit is enforced before the body is buffered, the body must be
/// one JSON object with only the fields the endpoint knows, and every failure is a 400 (or 413) naming the problem.
enum APIBody {
    /// Collects the body, refusing with 413 as soon as it passes `limit` (or at once, from `Content-Length`).
    static func collect(_ request: Request, limit: Int) async throws(NodeAPIError) -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw tooLarge(limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        } catch {
            throw NodeAPIError(.badRequest, "the request body could not be read: \(error)")
        }
    }

    static func tooLarge(_ limit: Int) -> NodeAPIError {
        NodeAPIError(.tooLarge, "the request body is larger than the \(limit) bytes the local API accepts")
    }

    /// Decodes `T` from a JSON object whose keys are all in `fields`, in one parse: the top-level keys are checked
    /// and `T` decoded from the same decoder (`Checked`). Parsing the body twice (once into a `JSONValue` tree for
    /// the keys, once for `T`) was 4.5 % of a sending node's CPU under load (issue 11).
    static func decode<T: Decodable>(
        _ type: T.Type,
        from buffer: ByteBuffer,
        fields: Set<String>
    ) throws(NodeAPIError) -> T {
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else {
            throw NodeAPIError(.badRequest, "the request body is empty; it must be a JSON object")
        }
        let decoder = JSONDecoder()
        decoder.userInfo[Checked<T>.fieldsKey] = fields
        do {
            return try decoder.decode(Checked<T>.self, from: data).value
        } catch let shape as BodyShape {
            switch shape {
            case .schema(let error):
                throw NodeAPIError(.badRequest, describe(error))
            case .notAnObject:
                throw NodeAPIError(.badRequest, "the request body must be a JSON object")
            case .unknownField(let unknown):
                throw NodeAPIError(
                    .badRequest,
                    "unknown field '\(APIQuery.quote(unknown))' (accepted: \(fields.sorted().joined(separator: ", ")))"
                )
            }
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw NodeAPIError(.badRequest, "the request body is not valid JSON: \(underlyingReason(context))")
        } catch let error as DecodingError {
            throw NodeAPIError(.badRequest, describe(error))
        } catch {
            throw NodeAPIError(.badRequest, "the request body does not match its schema: \(error)")
        }
    }

    /// What is wrong with a body: its shape (checked first), or its schema (`T`'s own decoding error, kept apart
    /// from the parser's errors, which come from the same decoder).
    enum BodyShape: Error {
        case notAnObject
        case unknownField(String)
        case schema(DecodingError)
    }

    /// `T`, decoded after the body's top-level keys were checked against the endpoint's fields (in the
    /// decoder's `userInfo`). Unknown keys are reported in sorted order, the first one only.
    struct Checked<Value: Decodable>: Decodable {
        static var fieldsKey: CodingUserInfoKey { CodingUserInfoKey(rawValue: "meshpeer.fields")! }
        let value: Value

        init(from decoder: any Decoder) throws {
            let keys: [String]
            do {
                keys = try decoder.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
            } catch {
                throw BodyShape.notAnObject
            }
            let fields = decoder.userInfo[Self.fieldsKey] as? Set<String> ?? []
            if let unknown = keys.sorted().first(where: { !fields.contains($0) }) {
                throw BodyShape.unknownField(unknown)
            }
            do {
                value = try Value(from: decoder)
            } catch let error as DecodingError {
                throw BodyShape.schema(error)
            }
        }
    }

    /// "missing field 'to'", "field 'expires_in_seconds' must be an integer", and so on.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(jsonType(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(jsonType(type)), not null"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))' is invalid: \(underlyingReason(context))"
        @unknown default:
            return "the request body does not match its schema"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [String: JSONValue].Type: "an object"
        default: "a \(type)"
        }
    }

    private static func underlyingReason(_ context: DecodingError.Context) -> String {
        let text = (context.underlyingError.map { "\($0)" } ?? context.debugDescription)
        return text.count <= 160 ? text : String(text.prefix(160)) + "…"
    }
}
