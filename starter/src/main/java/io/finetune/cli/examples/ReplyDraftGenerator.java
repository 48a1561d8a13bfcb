package io.finetune.cli.examples;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Generates the reply-draft example, a free-text task: a customer's e-mail to an outdoor-clothing
 * shop (a name, an order number, one of a few requests) and the reply customer care sends, the
 * team's template for that request with the name and order number filled in. The template comes in
 * a formal and a friendly variant, and the reply mirrors how the customer wrote. Scored by chrF and
 * judged by the local judge. Seeded: {@code ./finetune generate-example --example reply-drafts}
 * writes the same files every time.
 */
public final class ReplyDraftGenerator {
  public static final String NAME = "reply-drafts";
  public static final long SEED = 2024;
  static final int TRAIN_ROWS = 400;
  static final int CORNER_ROWS = 30;
  static final int JUDGED_PAIRS = 40;

  /** Every file this generator writes. */
  public static final List<String> FILES =
      List.of("spec.yaml", "train.jsonl", "corner-cases.jsonl", "judge-alignment.jsonl");

  static final String SPEC =
      """
      # Reply drafts: read a customer's e-mail to an outdoor-clothing shop, draft customer care's
      # reply (free text, task: text). Scored by chrF; a judge compares each candidate's drafts with
      # the baseline's. No production batch: the demo skips its drift step. Written by
      # ./finetune generate-example --example reply-drafts (seeded).
      # Paths are relative to this file. Every field is described in README.md ("The pipeline spec").
      name: reply-drafts
      task: text
      dataset:
        path: train.jsonl
        inputField: input
        outputField: output
        format: text
      evalSets:
        - name: corner-cases
          path: corner-cases.jsonl
      prompt: |
        You draft replies to customer e-mails for Harbor & Pine, an outdoor-clothing shop. Greet \
      the customer by name (formally if they wrote formally), answer their request (where their \
      order is, a return, a cancellation, an invoice, a damaged item), quote their order number and \
      sign as customer care. Answer with the reply only.
      target:
        metric: chrf
        score: 0.85
        reason: quality
      model:
        sizes: [small, medium]
        promptModel: local-large
      provider: local
      split:
        testFraction: 0.10
        seed: 7
      judge:
        model: local-judge
        rubric: >-
          The better reply greets the customer by name, answers what they asked and quotes their
          order number.
        maxPairs: 100
        alignment: judge-alignment.jsonl
      approval:
        approvers: []
      drift:
        maxNewVocabularyRate: 0.05
        maxDomainAuc: 0.75
        freshHoldoutFraction: 0.2
      """;

  static final List<String> KINDS = List.of("where", "return", "cancel", "invoice", "damaged");

  // What customers ask, per kind; {order} is the order number as they write it.
  private static final Map<String, List<String>> REQUESTS =
      Map.of(
          "where",
          List.of(
              "Where is my order {order}? It was supposed to arrive last week.",
              "I still haven't received order {order}. Can you tell me where it is?",
              "My parcel for order {order} hasn't shown up and the tracking page hasn't changed in"
                  + " days."),
          "return",
          List.of(
              "I'd like to return the {item} from order {order}, it doesn't fit.",
              "Can I send back the {item} I got in order {order}? It's too small.",
              "How do I return order {order}? The {item} isn't what I expected."),
          "cancel",
          List.of(
              "Please cancel order {order}, I ordered the wrong size.",
              "I placed order {order} by mistake, can you cancel it?",
              "Could you cancel order {order} before it ships? I no longer need the {item}."),
          "invoice",
          List.of(
              "Could you send me an invoice for order {order}? I need it for my expenses.",
              "I need a VAT invoice for order {order}, please.",
              "Can I get a receipt for order {order} with my company's name on it?"),
          "damaged",
          List.of(
              "Order {order} arrived today but the {item} is damaged.",
              "The {item} in order {order} came with a tear in it.",
              "My order {order} was delivered and the {item} is broken."));

  // The same requests worded as the training data never does: for the corner-case set.
  private static final Map<String, List<String>> UNSEEN_REQUESTS =
      Map.of(
          "where", List.of("Parcel {order} never came. What's going on?"),
          "return", List.of("The {item} (order {order}) has to go back, wrong colour."),
          "cancel", List.of("Changed my mind about order {order} - please stop it."),
          "invoice", List.of("Accounts needs paperwork for order {order}; can you e-mail it?"),
          "damaged", List.of("Opened order {order} and the {item} was ripped."));

  private static final String FORMAL_SIGN = "\n\nKind regards,\nCustomer Care, Harbor & Pine";
  private static final String FRIENDLY_SIGN = "\n\nBest,\nThe Harbor & Pine team";

  // Customer care's templates per kind: formal (greets the full name) and friendly (first name).
  private static final Map<String, List<String>> REPLIES =
      Map.of(
          "where",
          List.of(
              "Dear {name},\n\nThank you for your message. Order {order} left our warehouse and is"
                  + " with the courier; it should reach you within three working days. You can"
                  + " follow it with the tracking link in your dispatch e-mail.",
              "Hi {name},\n\nThanks for getting in touch! Order {order} is on its way with the"
                  + " courier and should be with you within three working days. The tracking link"
                  + " is in your dispatch e-mail."),
          "return",
          List.of(
              "Dear {name},\n\nThank you for contacting us. You can return the items from order"
                  + " {order} within 30 days: print the prepaid label from your account page and"
                  + " drop the parcel at any post office. We will refund you within five working"
                  + " days of receiving it.",
              "Hi {name},\n\nNo problem at all! You can send back anything from order {order}"
                  + " within 30 days. Just print the prepaid label from your account page and drop"
                  + " the parcel at a post office; the refund follows within five working days of"
                  + " it reaching us."),
          "cancel",
          List.of(
              "Dear {name},\n\nThank you for your message. We have cancelled order {order} before"
                  + " dispatch, and the full amount will be back on your card within three to five"
                  + " working days.",
              "Hi {name},\n\nDone! Order {order} is cancelled and hasn't left the warehouse. The"
                  + " money will be back on your card within three to five working days."),
          "invoice",
          List.of(
              "Dear {name},\n\nThank you for your request. The invoice for order {order} is"
                  + " attached to this e-mail, and you can download it at any time from the Orders"
                  + " page of your account.",
              "Hi {name},\n\nHappy to help! I've attached the invoice for order {order}. You can"
                  + " also download it any time from the Orders page of your account."),
          "damaged",
          List.of(
              "Dear {name},\n\nWe are sorry that order {order} arrived damaged. A replacement is on"
                  + " its way at no cost to you, and there is no need to send the damaged item"
                  + " back.",
              "Hi {name},\n\nSorry to hear order {order} arrived damaged! We've sent you a"
                  + " replacement free of charge, and you don't need to send the damaged item"
                  + " back."));

  // Without an order number there is nothing to look up: the reply asks for it, whatever the kind.
  private static final List<String> ASK_FOR_ORDER =
      List.of(
          "Dear {name},\n\nThank you for your message. Could you send us your order number? It is"
              + " in your order confirmation e-mail, and with it we can look into this straight"
              + " away.",
          "Hi {name},\n\nThanks for your message! Could you send over your order number? You'll"
              + " find it in your order confirmation e-mail, and then we can sort this out right"
              + " away.");

  private static final List<String> FORMAL_GREETINGS =
      List.of("Dear Sir or Madam,", "Dear Customer Care,", "Good afternoon,");
  private static final List<String> FORMAL_CLOSINGS =
      List.of("Kind regards,", "Yours sincerely,", "Best regards,");
  private static final List<String> FRIENDLY_GREETINGS = List.of("Hi,", "Hey,", "Hi there,");
  private static final List<String> FRIENDLY_CLOSINGS =
      List.of("Thanks!", "Cheers,", "Thanks a lot,");
  private static final List<String> ASIDES =
      List.of(
          "",
          "",
          "",
          "I ordered it as a present.",
          "I've been a customer for years.",
          "Thank you.");

  private static final List<String> FIRST_NAMES =
      List.of(
          "Anna",
          "Siobhan",
          "Jean-Luc",
          "Kofi",
          "Marta",
          "Hiroshi",
          "Leila",
          "Tom",
          "Ines",
          "Ravi",
          "Ola",
          "Brendan",
          "Zoë",
          "Carlos",
          "Yuki",
          "Nora",
          "Samir",
          "Elena",
          "Finn",
          "Grace");
  private static final List<String> LAST_NAMES =
      List.of(
          "Schmidt",
          "O'Neill",
          "Moreau",
          "Mensah",
          "Kowalczyk",
          "Tanaka",
          "Haddad",
          "Clarke",
          "D'Souza",
          "Iyer",
          "Nordmann",
          "O'Sullivan",
          "Fischer-Hall",
          "Ruiz",
          "Sato",
          "Lindgren",
          "Farouk",
          "Petrova",
          "McCarthy",
          "Osei");
  private static final List<String> ITEMS =
      List.of(
          "jacket",
          "pair of hiking boots",
          "rain coat",
          "fleece",
          "wool sweater",
          "pair of trail shoes",
          "down vest");

  private final Draws draws;

  private ReplyDraftGenerator(long seed) {
    this.draws = new Draws(seed);
  }

  /** Writes {@link #FILES} into {@code dir}. */
  public static void generate(Path dir) throws IOException {
    Files.createDirectories(dir);
    ReplyDraftGenerator g = new ReplyDraftGenerator(SEED);
    Files.writeString(dir.resolve("spec.yaml"), SPEC, StandardCharsets.UTF_8);
    try (Writer w = Files.newBufferedWriter(dir.resolve("train.jsonl"), StandardCharsets.UTF_8)) {
      for (int i = 0; i < TRAIN_ROWS; i++) {
        Draws.writeLine(w, g.email(REQUESTS, 5).row());
      }
    }
    try (Writer w =
        Files.newBufferedWriter(dir.resolve("corner-cases.jsonl"), StandardCharsets.UTF_8)) {
      for (int i = 0; i < CORNER_ROWS; i++) {
        Draws.writeLine(w, g.cornerCase(i).row());
      }
    }
    try (Writer w =
        Files.newBufferedWriter(dir.resolve("judge-alignment.jsonl"), StandardCharsets.UTF_8)) {
      for (int i = 0; i < JUDGED_PAIRS; i++) {
        g.writeJudgedPair(w, i % 5 == 4);
      }
    }
  }

  /** A customer's e-mail and the reply it gets. */
  record Email(String text, String reply, String kind, String order, String first, String last) {
    ObjectNode row() {
      return Draws.JSON.createObjectNode().put("input", text).put("output", reply);
    }
  }

  /**
   * An e-mail asking one of {@code requests}; {@code noOrderPercent} of them forget the order
   * number.
   */
  private Email email(Map<String, List<String>> requests, int noOrderPercent) {
    String kind = draws.pick(KINDS);
    String first = draws.pick(FIRST_NAMES);
    String last = draws.pick(LAST_NAMES);
    boolean formal = draws.coin();
    String order = String.valueOf(draws.between(10000, 99999));
    boolean noOrder = draws.chance(noOrderPercent);
    String request = draws.pick(requests.get(kind)).replace("{item}", draws.pick(ITEMS));
    request =
        noOrder
            ? request
                .replace("Order {order}", "My order")
                .replace("order {order}", "my order")
                .replace("my my order", "my order")
                .replace("My my order", "My order")
            : request.replace("{order}", draws.pick(List.of(order, "#" + order, "no. " + order)));
    String aside = draws.pick(ASIDES);
    String body = aside.isEmpty() ? request : request + " " + aside;
    String text =
        formal
            ? draws.pick(FORMAL_GREETINGS)
                + "\n\n"
                + body
                + "\n\n"
                + draws.pick(FORMAL_CLOSINGS)
                + "\n"
                + first
                + " "
                + last
            : draws.pick(FRIENDLY_GREETINGS)
                + "\n"
                + body
                + "\n"
                + draws.pick(FRIENDLY_CLOSINGS)
                + " "
                + first;
    return new Email(
        text, reply(kind, noOrder ? null : order, formal, first, last), kind, order, first, last);
  }

  /** The team's template for {@code kind}, filled in; without an order number it asks for one. */
  private static String reply(
      String kind, String order, boolean formal, String first, String last) {
    int variant = formal ? 0 : 1;
    String template = order == null ? ASK_FOR_ORDER.get(variant) : REPLIES.get(kind).get(variant);
    return template
            .replace("{name}", formal ? first + " " + last : first)
            .replace("{order}", order == null ? "" : order)
        + (formal ? FORMAL_SIGN : FRIENDLY_SIGN);
  }

  /**
   * Requests worded as training never words them, every third e-mail without its order number, and
   * the rest with the customer's reply-to line naming a second, older order that is not the one
   * asked about.
   */
  private Email cornerCase(int i) {
    return switch (i % 3) {
      case 0 -> email(UNSEEN_REQUESTS, 0);
      case 1 -> email(REQUESTS, 100);
      default -> {
        Email e = email(REQUESTS, 0);
        String older = otherOrder(e.order);
        yield new Email(
            "Re: order " + older + " (that one arrived fine)\n\n" + e.text,
            e.reply,
            e.kind,
            e.order,
            e.first,
            e.last);
      }
    };
  }

  /**
   * One pair for measuring the judge's agreement with people: the reply customer care sent and one
   * with a wrong order number, the wrong request's template, the wrong tone or the wrong name, with
   * the verdict a team lead gives: the right reply wins; two right replies tie. {@code same}: both
   * are the right one.
   */
  private void writeJudgedPair(Writer w, boolean same) throws IOException {
    Email e = email(REQUESTS, 0);
    boolean formal = e.reply.startsWith("Dear ");
    String wrong =
        switch (draws.between(0, 3)) {
          case 0 -> e.reply.replace(e.order, otherOrder(e.order));
          case 1 ->
              reply(
                  draws.pick(KINDS.stream().filter(k -> !k.equals(e.kind)).toList()),
                  e.order,
                  formal,
                  e.first,
                  e.last);
          case 2 -> reply(e.kind, e.order, !formal, e.first, e.last);
          default ->
              reply(
                  e.kind,
                  e.order,
                  formal,
                  draws.pick(FIRST_NAMES.stream().filter(n -> !n.equals(e.first)).toList()),
                  e.last);
        };
    boolean rightFirst = draws.coin();
    ObjectNode pair = Draws.JSON.createObjectNode().put("input", e.text).put("reference", e.reply);
    pair.put("a", same || rightFirst ? e.reply : wrong);
    pair.put("b", same || !rightFirst ? e.reply : wrong);
    pair.put("human", same ? "tie" : rightFirst ? "a" : "b");
    Draws.writeLine(w, pair);
  }

  /** An order number that is not {@code order}. */
  private String otherOrder(String order) {
    String other = order;
    while (other.equals(order)) {
      other = String.valueOf(draws.between(10000, 99999));
    }
    return other;
  }

  public static void main(String[] args) throws IOException {
    generate(Path.of(args.length > 0 ? args[0] : "examples/" + NAME));
  }
}
