import Foundation
import GRDB
import GRDBSQLite

extension Mirror {
    /// The ranking function every connection has: `mirror_bm25(indexer_fts, generation, weights...)`.
    static let rankFunction = "mirror_bm25"

    /// The write generation this read transaction sees (raised by every write transaction of the mirror).
    static func generation(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT value FROM indexer_counter WHERE name = 'generation'")
        ) ?? 0
    }

    /// Registers `mirror_bm25` on a connection: FTS5's `bm25`, the same formula and the same arithmetic in the
    /// same order, so the same scores to the bit for two or more phrases and the same order for one, whose IDF
    /// (a constant factor) is left out (`MirrorRankTests`). A row's length comes from `RowLengths` when they were
    /// published for the generation the query reads (its second argument), instead of FTS5's `%_docsize` lookup
    /// per match; a row it does not know is measured by FTS5 as before.
    static func registerRanking(_ db: Database, lengths: RowLengths) throws {
        let api = FTS5.api(db)
        let context = Unmanaged.passRetained(lengths).toOpaque()
        let code = api.pointee.xCreateFunction(
            UnsafeMutablePointer(mutating: api),
            rankFunction,
            context,
            mirrorBM25,
            { context in
                guard let context else { return }
                Unmanaged<RowLengths>.fromOpaque(context).release()
            }
        )
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register \(rankFunction)")
        }
    }
}

/// What one query computes once: FTS5's `Fts5Bm25Data` (IDF per phrase, average row length), the weights, and the
/// lengths published for the query's generation, if any. Lives in the query's FTS5 auxiliary data, on the
/// connection's thread only.
private final class RankQuery {
    var idf: [Double]
    var frequencies: [Double]
    var weights: [Double]
    var averageLength: Double
    var lengths: [Int32]?

    init(idf: [Double], weights: [Double], averageLength: Double, lengths: [Int32]?) {
        self.idf = idf
        self.frequencies = [Double](repeating: 0, count: idf.count)
        self.weights = weights
        self.averageLength = averageLength
        self.lengths = lengths
    }
}

/// FTS5's `fts5Bm25Function` (k1 = 1.2, b = 0.75), with the row length as described on `registerRanking`.
private func mirrorBM25(
    api: UnsafePointer<Fts5ExtensionApi>?,
    fts: OpaquePointer?,
    context: OpaquePointer?,
    count: Int32,
    values: UnsafeMutablePointer<OpaquePointer?>?
) {
    guard let api = api?.pointee else { return }
    let query: RankQuery
    if let data = api.xGetAuxdata(fts, 0) {
        query = Unmanaged<RankQuery>.fromOpaque(data).takeUnretainedValue()
    } else {
        switch makeRankQuery(api: api, fts: fts, count: count, values: values) {
        case .success(let made):
            query = made
            let code = api.xSetAuxdata(
                fts,
                Unmanaged.passRetained(made).toOpaque(),
                { data in
                    guard let data else { return }
                    Unmanaged<RankQuery>.fromOpaque(data).release()
                }
            )
            guard code == SQLITE_OK else { return sqlite3_result_error_code(context, code) }
        case .failure(let code):
            return sqlite3_result_error_code(context, code.code)
        }
    }
    for index in query.frequencies.indices { query.frequencies[index] = 0 }
    var instances: Int32 = 0
    var code = api.xInstCount(fts, &instances)
    guard code == SQLITE_OK else { return sqlite3_result_error_code(context, code) }
    for instance in 0..<instances {
        var phrase: Int32 = 0
        var column: Int32 = 0
        var offset: Int32 = 0
        code = api.xInst(fts, instance, &phrase, &column, &offset)
        guard code == SQLITE_OK else { return sqlite3_result_error_code(context, code) }
        let weight = Int(column) < query.weights.count ? query.weights[Int(column)] : 1.0
        query.frequencies[Int(phrase)] += weight
    }
    var length: Double
    let rowid = api.xRowid(fts)
    if let lengths = query.lengths, rowid >= 0, rowid < lengths.count, lengths[Int(rowid)] >= 0 {
        length = Double(lengths[Int(rowid)])
    } else {
        var tokens: Int32 = 0
        code = api.xColumnSize(fts, -1, &tokens)
        guard code == SQLITE_OK else { return sqlite3_result_error_code(context, code) }
        length = Double(tokens)
    }
    let k1 = 1.2
    let b = 0.75
    var score = 0.0
    for phrase in query.idf.indices {
        let frequency = query.frequencies[phrase]
        score +=
            query.idf[phrase]
            * ((frequency * (k1 + 1.0)) / (frequency + k1 * (1 - b + b * length / query.averageLength)))
    }
    sqlite3_result_double(context, -1.0 * score)
}

/// An SQLite result code from the FTS5 API, as an error.
private struct RankFailure: Error {
    var code: Int32
}

/// Counts a phrase's rows for the IDF (FTS5's `fts5CountCb`).
private func countRow(
    api: UnsafePointer<Fts5ExtensionApi>?,
    fts: OpaquePointer?,
    data: UnsafeMutableRawPointer?
)
    -> Int32
{
    data?.assumingMemoryBound(to: Int64.self).pointee += 1
    return SQLITE_OK
}

/// A query's constants, as FTS5's `fts5Bm25GetData` computes them: the row count, the average row length and
/// each phrase's IDF (`log((N - n + 0.5) / (n + 0.5))`, at least 1e-6; 1 for a query of one phrase). Argument 1
/// is the generation, the rest the column weights.
private func makeRankQuery(
    api: Fts5ExtensionApi,
    fts: OpaquePointer?,
    count: Int32,
    values: UnsafeMutablePointer<OpaquePointer?>?
) -> Result<RankQuery, RankFailure> {
    var rows: Int64 = 0
    var tokens: Int64 = 0
    var code = api.xRowCount(fts, &rows)
    if code == SQLITE_OK { code = api.xColumnTotalSize(fts, -1, &tokens) }
    guard code == SQLITE_OK else { return .failure(RankFailure(code: code)) }
    let averageLength = Double(tokens) / Double(rows)
    var idf: [Double] = []
    let phrases = api.xPhraseCount(fts)
    // One phrase: its IDF is the same positive factor of every row's score, so it changes no order (the search
    // uses the scores only to order), and counting its rows was a whole extra pass over every match, about a
    // quarter of a common word's time. The score is then FTS5's divided by that IDF.
    if phrases == 1 {
        return .success(
            RankQuery(
                idf: [1.0],
                weights: weights(count, values),
                averageLength: averageLength,
                lengths: lengths(api, fts, count, values)
            )
        )
    }
    for phrase in 0..<phrases {
        var hits: Int64 = 0
        code = api.xQueryPhrase(fts, phrase, &hits, countRow)
        guard code == SQLITE_OK else { return .failure(RankFailure(code: code)) }
        var value = log((Double(rows - hits) + 0.5) / (Double(hits) + 0.5))
        if value <= 0.0 { value = 1e-6 }
        idf.append(value)
    }
    return .success(
        RankQuery(
            idf: idf,
            weights: weights(count, values),
            averageLength: averageLength,
            lengths: lengths(api, fts, count, values)
        )
    )
}

/// The column weights: every argument after the generation.
private func weights(_ count: Int32, _ values: UnsafeMutablePointer<OpaquePointer?>?) -> [Double] {
    guard count > 1, let values else { return [] }
    return (1..<Int(count)).map { sqlite3_value_double(values[$0]) }
}

/// The lengths published for the generation in argument 1, if they are the query's.
private func lengths(
    _ api: Fts5ExtensionApi,
    _ fts: OpaquePointer?,
    _ count: Int32,
    _ values: UnsafeMutablePointer<OpaquePointer?>?
) -> [Int32]? {
    guard count >= 1, let values, let context = api.xUserData(fts) else { return nil }
    let generation = sqlite3_value_int64(values[0])
    return Unmanaged<RowLengths>.fromOpaque(context).takeUnretainedValue().lengths(at: generation)
}
