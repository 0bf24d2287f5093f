import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WebhookStatus, type WebhookEndpoint, type WebhookSetup } from '@app/projects';
import { notionWebhookUrl } from '../../http/routes.js';

/**
 * The owner's view of the project's webhook. Two secrets are shown here, to
 * the owner only: the webhook URL (its last segment is a key nobody else
 * knows), and Notion's verification token while the webhook is not yet
 * verified, so the owner can paste it into Notion.
 */
export class WebhookSetupResponseDto {
  @ApiPropertyOptional({
    description:
      'Give this URL to Notion as the webhook endpoint. A secret: keep it out of logs and screenshots. ' +
      'Present in GET /projects/{id}/webhook; after a reset, read it there again (it changed).',
  })
  url?: string;

  @ApiProperty({ enum: WebhookStatus, enumName: 'WebhookStatus' })
  status: WebhookStatus;

  @ApiProperty({ type: String, nullable: true, description: 'Present only while awaiting verification' })
  verificationToken: string | null;

  @ApiPropertyOptional({
    description:
      'True while the project still receives signed events at its old URL, which carries the project id ' +
      '(verified before webhook URLs became secret). DELETE /projects/{id}/webhook moves it to a secret URL.',
  })
  legacyUrl?: boolean;

  static from(
    projectId: string,
    setup: WebhookSetup | WebhookEndpoint,
    publicBaseUrl: string,
  ): WebhookSetupResponseDto {
    const endpoint = 'legacy' in setup ? setup : undefined;
    const urlKey = endpoint ? (endpoint.legacy ? projectId : endpoint.key) : null;
    return {
      ...(urlKey && { url: notionWebhookUrl(publicBaseUrl, urlKey) }),
      status: setup.status,
      verificationToken: setup.verificationToken,
      ...(endpoint?.legacy && { legacyUrl: true }),
    };
  }
}
