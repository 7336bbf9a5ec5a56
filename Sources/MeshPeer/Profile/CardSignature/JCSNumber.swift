/// A double written as ECMAScript's `Number.prototype.toString` writes it (ECMA-262 §7.1.12.1, RFC 8785
/// §3.2.2.3): the shortest digits that read back as the same double, in plain notation for decimal exponents
/// from -6 to 20 and in `d.ddde±x` notation outside them; `-0` is `0`. Swift's own `description` already finds the
/// shortest round-trip digits (closest to the value when several are as short); only the layout differs, so this
/// takes the digits and exponent from it and lays them out the ECMAScript way.
public enum JCSNumber {
    public static func format(_ value: Double) throws(CardSignatureError) -> String {
        guard value.isFinite else {
            throw CardSignatureError(.malformedCard, "\(value) has no JSON form (RFC 8785 §3.2.2.3)")
        }
        if value == 0 { return "0" }
        let (digits, exponent) = decimal(of: Swift.abs(value))
        let sign = value < 0 ? "-" : ""
        // ECMAScript's names: k digits s, and the value is s × 10^(n−k).
        let k = digits.count
        let n = exponent
        if k <= n, n <= 21 {
            return sign + digits + String(repeating: "0", count: n - k)
        }
        if 0 < n, n <= 21 {
            return sign + String(digits.prefix(n)) + "." + String(digits.dropFirst(n))
        }
        if -6 < n, n <= 0 {
            return sign + "0." + String(repeating: "0", count: -n) + digits
        }
        let power = n - 1
        let exponentText = (power < 0 ? "-" : "+") + String(Swift.abs(power))
        if k == 1 { return sign + digits + "e" + exponentText }
        return sign + String(digits.prefix(1)) + "." + String(digits.dropFirst()) + "e" + exponentText
    }

    /// The shortest significant digits of a positive finite double (no leading or trailing zeros) and `n`, the
    /// position of the decimal point relative to the first digit (value = 0.digits × 10^n).
    static func decimal(of value: Double) -> (digits: String, exponent: Int) {
        let text = value.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let power = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        var digits = ""
        var pointPosition: Int?
        for character in mantissa {
            if character == "." {
                pointPosition = digits.count
            } else {
                digits.append(character)
            }
        }
        var point = (pointPosition ?? digits.count) + power
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (digits, point)
    }
}
