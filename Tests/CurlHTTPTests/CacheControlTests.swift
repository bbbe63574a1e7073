import Testing

@testable import CurlHTTP

/// RFC 9111 §5.2 freshness directives as the client reports them.
@Suite struct CacheControlTests {
    @Test(arguments: [
        ([String](), Int?.none),
        (["public"], nil),
        (["max-age=300"], 300),
        (["public, max-age=300, must-revalidate"], 300),
        (["Max-Age = 60"], 60),
        (["max-age=\"120\""], 120),
        (["s-maxage=10, max-age=600"], 600),
        (["max-age=600", "max-age=30"], 30),
        (["max-age=600, no-cache"], 0),
        (["no-store"], 0),
        (["max-age=-1"], nil),
        (["max-age=abc"], nil),
        (["max-age="], nil),
        (["max-age=99999999999999999999"], 2_147_483_648),
    ])
    func maxAge(fields: [String], expected: Int?) {
        #expect(CacheControl.maxAge(fields) == expected)
    }
}
