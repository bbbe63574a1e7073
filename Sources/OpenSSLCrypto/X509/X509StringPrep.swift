import Foundation

/// RFC 4518 string preparation for caseIgnoreMatch, as used by ``DistinguishedName/matches(_:)``.
///
/// Steps (RFC 4518 §2), with the one deliberate difference marked:
/// 1. Map (§2.2): TAB, LF, VT, FF, CR, NEL and every space/line/paragraph separator
///    become SPACE; SOFT HYPHEN, MONGOLIAN TODO SOFT HYPHEN, COMBINING GRAPHEME
///    JOINER, variation selectors, OBJECT REPLACEMENT CHARACTER, ZERO WIDTH SPACE and
///    other format characters (Cf) are removed. *Difference:* RFC 4518 also maps the
///    remaining control characters (Cc) to nothing; here they make the value
///    prohibited, because a control character in a certificate name is an anomaly to
///    refuse, not a spelling to ignore.
/// 2. Normalize (§2.3): NFKC; case folding approximated by upper-casing then
///    lower-casing (so `ß` folds with `SS`), then NFKC again.
/// 3. Prohibit (§2.4): unassigned and private-use code points, surrogates,
///    non-characters and U+FFFD make the value prohibited (it matches nothing).
/// 4. Insignificant space handling (§2.6.1): leading and trailing spaces removed,
///    inner runs of spaces reduced to one.
///
/// Bidi checking (§2.5) is not done: it decides nothing for equality.
enum X509StringPrep {
    /// The prepared form of `value`, or nil when the value is prohibited.
    static func prepare(_ value: String) -> String? {
        var mapped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85:
                mapped.append(" ")
                continue
            case 0xAD, 0x1806, 0x034F, 0x180B...0x180D, 0xFE00...0xFE0F, 0xFFFC, 0x200B:
                continue
            case 0xFFFD:
                return nil
            default:
                break
            }
            if scalar.properties.isNoncharacterCodePoint { return nil }
            switch scalar.properties.generalCategory {
            case .control, .privateUse, .surrogate, .unassigned:
                return nil
            case .format:
                continue
            case .spaceSeparator, .lineSeparator, .paragraphSeparator:
                mapped.append(" ")
            default:
                mapped.append(scalar)
            }
        }
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        let folded = normalized.uppercased().lowercased().precomposedStringWithCompatibilityMapping
        // Insignificant space handling: trim, and collapse inner runs.
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            if scalar == " " {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(scalar)
        }
        return String(out)
    }
}
